import ArgumentParser

@main
struct EngageBot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engage-bot",
        abstract: "A headless WebRTC participant that records ENGAGE-style meeting rooms.",
        subcommands: [Join.self, Announce.self, Serve.self, Check.self, CrowdCommand.self, DemoCommand.self, BenchCommand.self, RepairCommand.self, ServiceCommand.self]
    )
}
