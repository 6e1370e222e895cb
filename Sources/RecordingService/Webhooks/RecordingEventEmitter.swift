import Foundation
import MeetingKit
import Mesh
import Synchronization

/// Turns one recording's meeting observations into webhook events in the outbox: the bot in the room
/// (`recording.started`), a participant's camera connection up or ended (`participant.joined`/`left`), a
/// file finalized, and the recording's end.
final class RecordingEventEmitter: Sendable {
    private let outbox: DurableQueue
    private let recording: WebhookEvent.Recording
    /// Who each connection is with, learnt when its description is sent; joined ones are marked.
    private let connections = Mutex<[ConnectionKey: (participant: String, joined: Bool)]>([:])

    init(outbox: DurableQueue, recording: WebhookEvent.Recording) {
        self.outbox = outbox
        self.recording = recording
    }

    func observe(_ observation: MeetingObservation) {
        switch observation {
        case .joined:
            emit(.recordingStarted)
        case .descriptionSent(let key, let peer, _):
            connections.withLock { $0[key] = (peer, false) }
        case .peerEvent(let key, .connected) where key.kind == .camera:
            let participant: String? = connections.withLock { connections in
                guard let entry = connections[key], !entry.joined else { return nil }
                connections[key] = (entry.participant, true)
                return entry.participant
            }
            if let participant { emit(.participantJoined, participant: participant) }
        case .recordingClosed(let key, let participant, let path, let bytes):
            if bytes > 0 {
                emit(.fileFinalized, participant: participant,
                     file: .init(name: (path as NSString).lastPathComponent, path: path, bytes: bytes))
            }
            let joined = connections.withLock { $0.removeValue(forKey: key)?.joined ?? false }
            if joined && key.kind == .camera { emit(.participantLeft, participant: participant) }
        default:
            break
        }
    }

    func ended(failure: String?) {
        if let failure {
            emit(.recordingFailed, failure: failure)
        } else {
            emit(.recordingFinished)
        }
    }

    private func emit(_ type: WebhookEvent.Kind, participant: String? = nil, file: WebhookEvent.File? = nil,
                      failure: String? = nil) {
        outbox.enqueue(event: { sequence, id in
            WebhookEvent(id: id, type: type, sequence: sequence, createdAt: ISOTime.string(Date()), recording: recording,
                         participant: participant, file: file, failure: failure)
        })
    }
}
