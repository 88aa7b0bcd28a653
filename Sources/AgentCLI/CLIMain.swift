import AgentAPI
import ArgumentParser
import JSON

/// The whole CLI as a function from arguments and a context to an exit status: 0 success, 1 error,
/// 2 usage (ArgumentParser's own usage status is EX_USAGE, 64, on Linux: mapped to 2 here).
public enum CLIMain {
    public static func run(_ arguments: [String], context: CLIContext) -> Int32 {
        let parsed: ParsableCommand
        do {
            parsed = try BoundaryAgentCommand.parseAsRoot(arguments)
        } catch {
            return reportParseError(error, context: context)
        }
        guard let command = parsed as? any AgentSubcommand else {
            if parsed is BoundaryAgentCommand || parsed is TokenCommand {
                // `boundary-agent` or `boundary-agent token` alone: a usage error that says what there is.
                context.standardError.write(BoundaryAgentCommand.helpMessage(for: type(of: parsed)) + "\n")
                return 2
            }
            // ArgumentParser's own commands (`help`, and `-help` anywhere): they end in CleanExit.
            do {
                var builtin = parsed
                try builtin.run()
                return 0
            } catch {
                return reportParseError(error, context: context)
            }
        }
        do {
            try command.execute(context)
            return 0
        } catch let error as CLIError {
            report(
                error, command: type(of: command).configuration.commandName ?? "", format: command.globals.format,
                context: context)
            return error.exitCode
        } catch {
            return reportParseError(error, context: context)
        }
    }

    /// ArgumentParser's errors (and help and `--version`, which are "errors" that exit 0).
    static func reportParseError(_ error: Error, context: CLIContext) -> Int32 {
        let code = BoundaryAgentCommand.exitCode(for: error)
        let message = BoundaryAgentCommand.fullMessage(for: error)
        if code == .success {
            if !message.isEmpty { context.standardOutput.write(message + "\n") }
            return 0
        }
        context.standardError.write(message + "\n")
        return code == .validationFailure ? 2 : code.rawValue
    }

    static func report(_ error: CLIError, command: String, format: OutputFormat, context: CLIContext) {
        switch (error, format) {
        case (.api(let apiError), .json):
            // The boundary CLI's shape for API errors in JSON mode.
            let body: JSONValue = [
                "status_code": .int(Int64(apiError.status)),
                "api_error": ["kind": .string(apiError.kind), "message": .string(apiError.message)],
            ]
            context.standardError.write(JSONWriter(style: .pretty).string(body) + "\n")
        case (.usage(let message), _):
            context.standardError.write("Error: \(message)\nSee 'boundary-agent \(command) -help'.\n")
        case (.agentNotRunning, _), (.api, .table):
            context.standardError.write("\(error)\n")
        default:
            context.standardError.write("Error: \(error)\n")
        }
    }
}
