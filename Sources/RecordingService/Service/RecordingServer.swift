import Foundation
import Hummingbird
import Logging
import MeetingKit
import News
import NIOCore
import NIOPosix
import ServiceLifecycle

/// `engage-bot service`: the HTTP API, the recordings it runs, and the probes, as one service group.
/// SIGTERM or SIGINT drains: admission closes (`/readyz` turns 503), every recording leaves and finalizes
/// its files within the grace period, then the HTTP server stops.
public enum RecordingServer {
    public static func run(configuration: ServiceConfiguration, logger: Logger) async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let metrics = ServiceMetrics()
        var outbox: DurableQueue?
        var webhooks: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let url = configuration.webhookURL, let secret = configuration.webhookSecret {
            let box = try DurableQueue(name: "webhooks", directory: configuration.outboxDirectory, logger: logger)
            outbox = box
            webhooks.append(.init(service: WebhookSender(
                outbox: box, url: url, secret: secret, fetcher: HTTPFetcher(group: group), metrics: metrics,
                logger: logger, flushTime: configuration.gracePeriod)))
        }
        let hook = configuration.onFinalized.map { FinalizedFileHook(command: $0, logger: logger) }
        var uploading: [ServiceGroupConfiguration.ServiceConfiguration] = []
        var uploads: Uploads?
        if let destination = configuration.upload {
            let queue = try Uploads(destination: destination, outputRoot: configuration.outputRoot, logger: logger)
            uploads = queue
            var fetcherConfiguration = HTTPFetcher.Configuration()
            fetcherConfiguration.userAgent = "EngageBot-Uploads/1.0"
            fetcherConfiguration.totalTimeout = .minutes(5)
            uploading.append(.init(service: UploadSender(
                uploads: queue, fetcher: HTTPFetcher(group: group, configuration: fetcherConfiguration), events: outbox,
                metrics: metrics, logger: logger, flushTime: configuration.gracePeriod)))
        }
        let registry = RecordingRegistry(configuration: configuration, group: group, logger: logger, metrics: metrics,
                                         outbox: outbox, files: FinishedFiles(hook: hook, uploads: uploads))
        let router = ServiceRouter.make(registry: registry, metrics: metrics, bearerToken: configuration.bearerToken)
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "engage-bot"),
            onServerRunning: { channel in
                // Said on standard error in one fixed form, so scripts and tests can find the port (`--port 0`).
                let address = channel.localAddress.map { "\($0.ipAddress ?? configuration.host):\($0.port ?? configuration.port)" }
                logger.notice("service listening on http://\(address ?? "?")")
            },
            eventLoopGroupProvider: .shared(group),
            logger: logger)
        // Shut down in reverse order: recordings drain first, while the API still answers; then their files are
        // uploaded and the webhooks they caused flushed, as far as the grace allows; then the server stops.
        let services = ServiceGroup(configuration: .init(
            services: [
                .init(service: application),
                .init(service: EventLoopLagProbe(group: group, metrics: metrics)),
            ] + webhooks + uploading + [
                .init(service: Drain(registry: registry, hook: hook, grace: configuration.gracePeriod)),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await services.run()
    }

    /// Waits for the shutdown request, then finishes every recording within the grace period.
    struct Drain: Service {
        let registry: RecordingRegistry
        let hook: FinalizedFileHook?
        let grace: Duration

        func run() async throws {
            try? await gracefulShutdown()
            await registry.drain(grace: grace)
            await hook?.drain()
        }
    }
}
