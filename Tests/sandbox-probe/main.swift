// sandbox-probe PROFILE ACTION [-user NAME] [-log]
//
// Installs a worker's seccomp profile (PrivSep.SandboxProfile, TSYNC), starts a NIO event loop
// group after it as the workers do, proves a serve loop works (a TCP echo round trip, and a UDP one
// for the DNS profile), then makes ACTION's call *from an event loop thread* (so TSYNC is tested
// too). Prints "serve ok", then either dies (SIGSYS for kill rules) or prints
// "ACTION returned -1 errno N" and exits 0. Test-only; not installed.
import CPrivSep
import CSeccomp
import Glibc
import NIOCore
import NIOPosix
import PrivSep

var args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 2, let profile = SandboxProfile.named(args[0]) else {
    Probe.fail("usage: sandbox-probe dns-worker|proxy-worker ACTION [-user NAME] [-log]")
}
let action = args[1]
var user: String? = nil
var mode = Sandbox.Mode.enforce
var rest = args.dropFirst(2)
while let a = rest.popFirst() {
    switch a {
    case "-user": user = rest.popFirst()
    case "-log": mode = .log(fd: 2)
    default: Probe.fail("unknown argument \(a)")
    }
}

do {
    if let user {
        try PrivilegeDrop.drop(to: UserIdentity.lookup(user))
    } else {
        _ = cps_set_no_new_privs()
    }
    try Sandbox.install(profile, mode: mode)
} catch {
    Probe.fail("sandbox: \(error)")
}

// Threads start after the filter, as in the workers.
let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

final class Echo: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.writeAndFlush(data, promise: nil) }
}

final class Collect: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<String>
    init(_ promise: EventLoopPromise<String>) { self.promise = promise }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        promise.succeed(String(buffer: unwrapInboundIn(data)))
    }
}

final class UDPEcho: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.writeAndFlush(data, promise: nil) }
}

final class UDPCollect: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let promise: EventLoopPromise<String>
    init(_ promise: EventLoopPromise<String>) { self.promise = promise }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        promise.succeed(String(buffer: unwrapInboundIn(data).data))
    }
}

do {
    let loopback = try SocketAddress(ipAddress: "127.0.0.1", port: 0)
    let server = try ServerBootstrap(group: group)
        .childChannelInitializer { $0.pipeline.addHandler(Echo()) }
        .bind(to: loopback).wait()
    let reply = group.next().makePromise(of: String.self)
    let client = try ClientBootstrap(group: group)
        .channelInitializer { $0.pipeline.addHandler(Collect(reply)) }
        .connect(to: server.localAddress!).wait()
    try client.writeAndFlush(ByteBuffer(string: "tcp")).wait()
    guard try reply.futureResult.wait() == "tcp" else { Probe.fail("tcp echo") }
    if profile.name == SandboxProfile.dnsWorker.name {
        let udpServer = try DatagramBootstrap(group: group).channelInitializer { $0.pipeline.addHandler(UDPEcho()) }
            .bind(to: loopback).wait()
        let udpReply = group.next().makePromise(of: String.self)
        let udpClient = try DatagramBootstrap(group: group)
            .channelInitializer { $0.pipeline.addHandler(UDPCollect(udpReply)) }
            .bind(to: loopback).wait()
        try udpClient.writeAndFlush(
            AddressedEnvelope(remoteAddress: udpServer.localAddress!, data: ByteBuffer(string: "udp"))
        )
        .wait()
        guard try udpReply.futureResult.wait() == "udp" else { Probe.fail("udp echo") }
    }
    print("serve ok")
    fflush(nil)
    // The forbidden call, from an event loop thread (created after the filter: TSYNC or not, it
    // must be covered).
    let (result, err) = try group.next().submit { Probe.perform(action) }.wait()
    print("\(action) returned \(result) errno \(err)")
    fflush(nil)
    exit(0)
} catch {
    Probe.fail("serve: \(error)")
}
