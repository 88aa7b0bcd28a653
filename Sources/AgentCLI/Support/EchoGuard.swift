#if canImport(Glibc)
    import Glibc
#endif

// The terminal settings to put back, readable from a signal handler. Only async-signal-safe calls
// (tcsetattr, signal, raise) touch them there; `EchoGuard` is the only writer, and it writes before
// it installs the handlers and after it removes them.
nonisolated(unsafe) private var savedTerminal = termios()
nonisolated(unsafe) private var savedTerminalFD: CInt = -1
nonisolated(unsafe) private var savedHandlers: [CInt: sighandler_t?] = [:]

/// Signals that end or stop a process at a prompt: each gets the terminal back first.
private let terminatingSignals: [CInt] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

/// Restores the terminal, then lets the signal do what it would have done (die, with the right
/// status for the shell: 130 for Ctrl-C).
private let restoreAndReraise: @convention(c) (CInt) -> Void = { signal in
    if savedTerminalFD >= 0 {
        tcsetattr(savedTerminalFD, TCSANOW, &savedTerminal)
        // The cursor is after the prompt: what the shell prints next starts on its own line.
        var newline = UInt8(ascii: "\n")
        _ = write(STDERR_FILENO, &newline, 1)
    }
    Glibc.signal(signal, SIG_DFL)
    raise(signal)
}

/// Ctrl-Z: give the shell a terminal with echo, stop; on `fg` (SIGCONT) turn echo off again.
private let restoreAndStop: @convention(c) (CInt) -> Void = { _ in
    if savedTerminalFD >= 0 {
        tcsetattr(savedTerminalFD, TCSANOW, &savedTerminal)
        var newline = UInt8(ascii: "\n")
        _ = write(STDERR_FILENO, &newline, 1)
    }
    Glibc.signal(SIGTSTP, SIG_DFL)
    raise(SIGTSTP)
}

private let echoOffAgain: @convention(c) (CInt) -> Void = { _ in
    guard savedTerminalFD >= 0 else { return }
    var quiet = savedTerminal
    EchoGuard.silence(&quiet)
    tcsetattr(savedTerminalFD, TCSANOW, &quiet)
    Glibc.signal(SIGTSTP, restoreAndStop)
}

/// Turns terminal echo off for a password prompt and puts the terminal back exactly as it was on
/// every way out: `restore()` (the normal path and thrown errors, via `defer`), and the signals a
/// user sends at a prompt (Ctrl-C, Ctrl-\, hang-up, kill, Ctrl-Z then `fg`).
public struct EchoGuard {
    let fd: CInt

    public static func disable(fd: CInt) throws -> EchoGuard {
        var current = termios()
        guard tcgetattr(fd, &current) == 0 else {
            throw CLIError.input("cannot read the terminal settings: \(LocalHTTPClient.errnoText(errno))")
        }
        savedTerminal = current
        savedTerminalFD = fd
        for signal in terminatingSignals { install(restoreAndReraise, for: signal) }
        install(restoreAndStop, for: SIGTSTP)
        install(echoOffAgain, for: SIGCONT)
        var quiet = current
        silence(&quiet)
        // TCSAFLUSH: anything typed before the prompt appeared is dropped, not taken as the password.
        guard tcsetattr(fd, TCSAFLUSH, &quiet) == 0 else {
            let error = errno
            EchoGuard(fd: fd).restore()
            throw CLIError.input("cannot turn terminal echo off: \(LocalHTTPClient.errnoText(error))")
        }
        return EchoGuard(fd: fd)
    }

    /// Takes `signal` over for the prompt, unless it is ignored (a background job of a shell without
    /// job control ignores SIGINT and SIGQUIT): an ignored signal cannot end the prompt, and taking it
    /// over would make Ctrl-C meant for the foreground kill us.
    static func install(_ handler: @convention(c) (CInt) -> Void, for signal: CInt) {
        let previous = Glibc.signal(signal, handler)
        // SIG_IGN is the handler value 1 (<bits/signum-generic.h>).
        if unsafeBitCast(previous, to: Int.self) == 1 {
            Glibc.signal(signal, previous)
            return
        }
        savedHandlers[signal] = previous
    }

    /// Echo off, but the newline still echoes so the next output starts on its own line.
    static func silence(_ t: inout termios) {
        t.c_lflag &= ~tcflag_t(ECHO | ECHOE | ECHOK)
        t.c_lflag |= tcflag_t(ECHONL)
    }

    public func restore() {
        tcsetattr(fd, TCSANOW, &savedTerminal)
        for (signal, handler) in savedHandlers { Glibc.signal(signal, handler) }
        savedHandlers.removeAll()
        savedTerminalFD = -1
    }
}
