import BoundaryWire
import JSON

extension DevAPIRouter {
    /// The auth token resource as the controller renders it (`authtokens.toProto`).
    func authTokenResource(_ record: DevDirectory.TokenRecord, includeToken: Bool) -> AuthToken {
        AuthToken(
            id: record.id, scopeID: "global", scope: .global, token: includeToken ? record.token : "",
            userID: record.userID, authMethodID: directory.config.authMethodID, accountID: record.accountID,
            createdTime: DevAPIRouter.timestamp(record.createdTime),
            updatedTime: DevAPIRouter.timestamp(record.createdTime),
            approximateLastUsedTime: DevAPIRouter.timestamp(record.lastUsedTime),
            expirationTime: DevAPIRouter.timestamp(record.expirationTime),
            authorizedActions: ["read:self", "delete:self"])
    }

    /// `POST /v1/auth-methods/{id}:authenticate` (`authmethods/password.go`): the anonymous user
    /// may call it; validation, then the password check ("Unable to authenticate." → 401).
    func authenticate(authMethodID: String, body: [UInt8], now: Double, fields: inout LogFields)
        -> Result<JSONValue, DevAPIError>
    {
        guard authMethodID == directory.config.authMethodID else { return .failure(.resourceNotFound) }
        let json: JSONValue
        switch DevAPIRouter.parseBody(body) {
        case .success(let j): json = j
        case .failure(let e): return .failure(e)
        }
        guard let request = try? PasswordAuthenticateRequest(protoJSON: json) else {
            return .failure(.invalidArgument("Error parsing request body."))
        }
        fields["login_name"] = .string(request.loginName)
        var bad: [String: String] = [:]
        if !request.hasAttributes {
            bad["attributes"] = "This is a required field."
        } else {
            if request.loginName.isEmpty { bad["attributes.login_name"] = "This is a required field." }
            if request.password.isEmpty { bad["attributes.password"] = "This is a required field." }
            if !request.command.isEmpty && request.command != "login" {
                bad["command"] = "Invalid command for this auth method type."
            }
            let type = request.type.lowercased().trimmingSpaces
            if !type.isEmpty && type != "token" && type != "cookie" {
                bad["type"] = #"The only accepted types are "token" and "cookie"."#
            }
        }
        guard bad.isEmpty else { return .failure(.invalidArgument("Invalid fields provided in request.", fields: bad)) }
        if request.type.lowercased().trimmingSpaces == "cookie" {
            // Split cookies are for browsers; an agent never asks for them.
            return .failure(.invalidArgument("The dev controller does not issue cookie tokens."))
        }
        guard
            let (user, record) = directory.authenticate(
                loginName: request.loginName, password: request.password, now: now)
        else {
            return .failure(
                DevAPIError(
                    status: 401, body: APIErrorBody(kind: "Unauthenticated", message: "Unable to authenticate.")))
        }
        fields["user_id"] = .string(user.id)
        fields["auth_token_id"] = .string(record.id)
        let response = AuthenticateResponse(
            command: "login", type: request.type, attributes: authTokenResource(record, includeToken: true))
        return .success(response.protoJSON)
    }

    /// `GET /v1/auth-tokens/{id}` (`authtokens/authtoken_service.go GetAuthToken`): the token is
    /// looked up before authorization (unknown → 404, also for anonymous callers); `read:self`
    /// is granted to everyone, so a caller reading a token that is not their own needs `read`
    /// (admin) and otherwise gets 403; the anonymous user included.
    func readAuthToken(id: String, caller: DevDirectory.Caller) -> Result<JSONValue, DevAPIError> {
        guard id.hasPrefix("at_") else {
            return .failure(
                .invalidArgument("Improperly formatted identifier.", fields: ["id": "Invalid formatted identifier."]))
        }
        guard let record = directory.token(id: id) else { return .failure(.resourceNotFound) }
        switch caller {
        case .user(let user, _) where user.id == record.userID || user.isAdmin:
            return .success(authTokenResource(record, includeToken: false).protoJSON)
        default:
            return .failure(.forbidden)
        }
    }
}
