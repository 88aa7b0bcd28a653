// libFuzzer target: the IPC framing and every direction's message decoder (the AgentIPC
// module). Input: one byte choosing the direction, then SEQPACKET messages, each as
// `flags u8 | length u16 | bytes` (flags bit 0: attach one fd, a dup of /dev/null). Checks: nothing
// traps; every fd attached is either closed by the refusing code or handed over in a decoded
// message (no leak, no double close); a decoded message re-encodes, reassembles and decodes equal.
import Glibc
import PrivSep
@testable import AgentIPC

private let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz-ipc invariant: \(message())") }
}

private func roundTrip<M: IPCMessage & Equatable>(_ type: M.Type, _ frame: Frame) -> Bool {
    guard let message = try? M(frame: frame) else { return false }
    var assembler = FrameAssembler(direction: M.direction)
    let encoded = message.frame()
    var again: Frame?
    for (index, bytes) in encoded.fragments().enumerated() {
        do {
            again = try assembler.add(ReceivedMessage(bytes: bytes, fds: index == 0 ? encoded.fds : []))
        } catch {
            check(false, "our own encoding of \(message.kind) is refused: \(error)")
        }
    }
    guard let again else {
        check(false, "our own encoding of \(message.kind) never completes")
        return true
    }
    do {
        let decoded = try M(frame: again)
        check(decoded == message, "\(message.kind) changed in a round trip")
    } catch {
        check(false, "our own encoding of \(message.kind) does not decode: \(error)")
    }
    return true
}

/// One input; traps (fatalError) when an invariant breaks.
public func fuzzIPC(_ data: UnsafePointer<UInt8>, _ size: Int) {
    guard size >= 1 else { return }
    let input = UnsafeBufferPointer(start: data, count: size)
    let direction = Direction.allCases[Int(input[0]) % Direction.allCases.count]
    var assembler = FrameAssembler(direction: direction)
    var created: [Int32] = []
    var position = 1
    while position + 3 <= size {
        let attach = input[position] & 1 != 0
        let length = min(Int(input[position + 1]) << 8 | Int(input[position + 2]), size - position - 3)
        let bytes = Array(input[(position + 3)..<(position + 3 + length)])
        position += 3 + length
        var fds: [Int32] = []
        if attach {
            let fd = dup(devNull)
            check(fd >= 0, "dup")
            fds.append(fd)
            created.append(fd)
        }
        let frame: Frame?
        do {
            frame = try assembler.add(ReceivedMessage(bytes: bytes, fds: fds))
        } catch {
            assembler = FrameAssembler(direction: direction)  // the link is dead; start a fresh one
            continue
        }
        guard let frame else { continue }
        let decoded: Bool
        switch direction {
        case .helperToDNS: decoded = roundTrip(HelperToDNS.self, frame)
        case .helperToProxy: decoded = roundTrip(HelperToProxy.self, frame)
        case .dnsToHelper: decoded = roundTrip(DNSToHelper.self, frame)
        case .proxyToHelper: decoded = roundTrip(ProxyToHelper.self, frame)
        case .brokerToDNS: decoded = roundTrip(BrokerToDNS.self, frame)
        case .dnsToBroker: decoded = roundTrip(DNSToBroker.self, frame)
        }
        // A decoded message owns its fds (the worker keeps them); here we are done with them.
        if decoded { frame.closeFDs() }
    }
    assembler.pending?.closeFDs()
    for fd in created {
        check(fcntl(fd, F_GETFD) == -1, "fd \(fd) leaked (direction \(direction))")
    }
}

#if FUZZ_ENTRY
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        fuzzIPC(data, size)
        return 0
    }
#endif
