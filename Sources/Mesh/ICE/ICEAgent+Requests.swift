/// Receiving STUN: answering the peer's checks (RFC 8445 §7.3) and matching responses to ours (§7.2.5).
extension ICEAgent {
    /// Feeds one datagram that `STUNMessage.looksLikeSTUN` accepted. Malformed, unauthenticated
    /// and unsolicited messages are dropped or answered with an error, never thrown.
    public mutating func handleDatagram(_ bytes: [UInt8], from remote: TransportAddress, to local: TransportAddress, at time: Timestamp) {
        guard state != .closed else { return }
        advance(to: time)
        guard let message = try? STUNMessage.decode(bytes), message.method == .binding else { return }
        switch message.messageClass {
        case .request: handleRequest(message, from: remote, to: local)
        case .successResponse, .errorResponse: handleResponse(message, from: remote, to: local)
        case .indication: break  // keepalives: nothing to answer
        }
        drive()
    }

    // MARK: - Requests from the peer

    mutating func handleRequest(_ request: STUNMessage, from remote: TransportAddress, to local: TransportAddress) {
        // RFC 8489 §9.1.3: missing credentials are a bad request, wrong ones unauthorized.
        guard let username = request.username, request.messageIntegrity != nil else {
            return respondError(to: request, code: 400, reason: "Bad Request", from: local, to: remote, authenticated: false)
        }
        let parts = username.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == localCredentials.ufrag,
              remoteCredentials.map({ parts[1] == $0.ufrag }) ?? true,
              request.verifyIntegrity(key: STUNMessage.shortTermKey(password: localCredentials.pwd))
        else {
            return respondError(to: request, code: 401, reason: "Unauthorized", from: local, to: remote, authenticated: false)
        }
        let unknown = request.unknownComprehensionRequired
        guard unknown.isEmpty else {
            return respondError(to: request, code: 420, reason: "Unknown Attribute", from: local, to: remote,
                                authenticated: true, extra: [.unknownAttributes(unknown)])
        }

        // RFC 8445 §7.3.1.1: the larger tie-breaker keeps the controlling role.
        if role == .controlling, let theirs = request.iceControlling {
            if tieBreaker >= theirs {
                return respondError(to: request, code: 487, reason: "Role Conflict", from: local, to: remote, authenticated: true)
            }
            switchRole(to: .controlled)
        } else if role == .controlled, let theirs = request.iceControlled {
            if tieBreaker >= theirs {
                switchRole(to: .controlling)
            } else {
                return respondError(to: request, code: 487, reason: "Role Conflict", from: local, to: remote, authenticated: true)
            }
        }

        let response = STUNMessage(.successResponse, transactionID: request.transactionID, attributes: [.xorMappedAddress(remote)])
        transmit(response.encode(integrityKey: STUNMessage.shortTermKey(password: localCredentials.pwd), fingerprint: true),
                 from: local, to: remote)

        // Only checks that reached one of our own addresses can become pairs.
        guard let localIndex = localAddresses.firstIndex(of: local) else { return }
        // RFC 8445 §7.3.1.3: an unknown source is a peer-reflexive candidate with the priority the peer proposed.
        let learnedPriority = request.priority ?? ICECandidate.priority(kind: .peerReflexive)
        addRemote(address: remote, priority: learnedPriority, kind: .peerReflexive)
        let remotePriority = remoteCandidates.first { $0.address == remote }?.priority ?? learnedPriority
        guard let index = pairIndex(localIndex: localIndex, remote: remote, remotePriority: remotePriority) else { return }

        // RFC 8445 §7.3.1.4: triggered check, so that this path becomes valid in our direction too.
        switch pairs[index].state {
        case .succeeded, .inProgress:
            break
        case .waiting, .failed:
            pairs[index].state = .waiting
            enqueueTriggered(index)
        }
        // RFC 8445 §7.3.1.5: the nomination counts once our own check on the pair succeeds.
        if role == .controlled, request.useCandidate {
            pairs[index].remoteNominated = true
            if pairs[index].state == .succeeded {
                pairs[index].nominated = true
                updateSelection()
            }
        }
    }

    mutating func respondError(
        to request: STUNMessage, code: Int, reason: String, from local: TransportAddress, to remote: TransportAddress,
        authenticated: Bool, extra: [STUNAttribute] = []
    ) {
        let response = STUNMessage(.errorResponse, transactionID: request.transactionID,
                                   attributes: [.errorCode(code: code, reason: reason)] + extra)
        // 400 and 401 cannot be signed: the requester's credentials are what failed.
        let key = authenticated ? STUNMessage.shortTermKey(password: localCredentials.pwd) : nil
        transmit(response.encode(integrityKey: key, fingerprint: true), from: local, to: remote)
    }

    mutating func switchRole(to newRole: ICERole) {
        guard role != newRole else { return }
        role = newRole
        // Pair priorities follow the role (they are computed from it); nominations in flight do not.
        for index in pairs.indices { pairs[index].nominating = false }
    }

    // MARK: - Responses to our checks

    mutating func handleResponse(_ response: STUNMessage, from remote: TransportAddress, to local: TransportAddress) {
        guard let position = requests.firstIndex(where: { $0.transactionID == response.transactionID }),
              let remoteCredentials else { return }
        let authentic = response.verifyIntegrity(key: STUNMessage.shortTermKey(password: remoteCredentials.pwd))
        let errorCode = response.errorCode?.code
        // Unsigned 400/401 are the only legitimate unauthenticated answers; anything else unsigned
        // may be forged, so the transaction keeps running.
        guard authentic || (response.messageClass == .errorResponse && (errorCode == 400 || errorCode == 401)) else { return }

        let request = requests.remove(at: position)
        let index = request.pairIndex
        // RFC 8445 §7.2.5.2.1: the response must come back over the same path.
        guard remote == pairs[index].remote, local == pairs[index].local else {
            if request.purpose != .consent { failPair(index) }
            return
        }

        if response.messageClass == .successResponse {
            checkSucceeded(index, request: request)
        } else if errorCode == 487, request.purpose != .consent {
            // RFC 8445 §7.2.5.1: take the other role than the one claimed, and check again.
            switchRole(to: request.sentAsControlling ? .controlled : .controlling)
            pairs[index].state = .waiting
            enqueueTriggered(index)
        } else if request.purpose != .consent {
            failPair(index)
        }
    }

    mutating func checkSucceeded(_ index: Int, request: ICEOutstandingRequest) {
        pairs[index].state = .succeeded
        if firstValidAt == nil { firstValidAt = now }
        if request.purpose == .nomination, request.sentAsControlling, role == .controlling {
            pairs[index].nominating = false
            pairs[index].nominated = true
        }
        if role == .controlled, pairs[index].remoteNominated { pairs[index].nominated = true }
        // RFC 7675: any authenticated response over the selected pair renews consent.
        if index == selectedIndex, !consentLost {
            lastConsentAt = now
            if state == .disconnected { setState(.connected) }
        }
        updateSelection()
    }

    mutating func failPair(_ index: Int) {
        pairs[index].state = .failed
        pairs[index].nominating = false
    }
}
