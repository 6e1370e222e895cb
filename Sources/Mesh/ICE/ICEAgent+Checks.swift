/// Sending STUN: the checklist, nomination, retransmissions and consent freshness.
extension ICEAgent {
    /// Everything that may be due after an input, in an order where each step sees the previous one's effects.
    mutating func drive() {
        guard state != .closed else { return }
        retransmitOrExpireRequests()
        refreshConsent()
        nominateIfReady()
        sendPacedCheck()
        updateChecklistState()
    }

    // MARK: - Checklist

    mutating func enqueueTriggered(_ index: Int) {
        if !triggered.contains(index) { triggered.append(index) }
    }

    /// Whether the pacing timer has anything to send: triggered checks, or ordinary checks while nothing is selected.
    var hasPacedWork: Bool {
        // Once a pair is selected and nothing is triggered (a connection's steady state) there is nothing to pace,
        // known before the credentials are read (a copy of their strings) or any list is walked.
        guard !consentLost, selectedIndex == nil || !triggered.isEmpty, remoteCredentials != nil else { return false }
        // Loops rather than `contains(where: isSendableTriggered)`: that method reference captured a copy of the
        // whole agent, and this runs for every deadline asked of the connection.
        for index in triggered where isSendableTriggered(index) { return true }
        guard selectedIndex == nil else { return false }
        for pair in pairs where pair.state == .waiting { return true }
        return false
    }

    func isSendableTriggered(_ index: Int) -> Bool {
        pairs[index].state == .waiting || isReadyNomination(index)
    }

    /// A nomination whose pair has already answered an ordinary check: it can go out now.
    func isReadyNomination(_ index: Int) -> Bool {
        pairs[index].nominating && pairs[index].state == .succeeded
    }

    /// One new check per Ta (RFC 8445 §6.1.4.2): the oldest triggered check, else the best waiting pair.
    ///
    /// A nomination goes out at once, though: it explores nothing (its pair already answered), it is sent once
    /// per connection, and everything else waits for it (the peer's "connected", then DTLS and media), so
    /// holding it for the next Ta slot added up to 50 ms to every join in which we control.
    mutating func sendPacedCheck() {
        guard remoteCredentials != nil, !consentLost else { return }
        if role == .controlling, let first = triggered.first, isReadyNomination(first) {
            triggered.removeFirst()
            sendCheck(on: first, purpose: .nomination)
            return
        }
        if let last = lastPacedCheckAt, now < last + configuration.pacing { return }
        while !triggered.isEmpty {
            let index = triggered.removeFirst()
            if isSendableTriggered(index) {
                sendCheck(on: index, purpose: pairs[index].nominating ? .nomination : .connectivity)
                return
            }
        }
        // Once a pair is selected, ordinary checks stop (RFC 8445 §8.1.2); triggered ones go on.
        guard selectedIndex == nil else { return }
        let controlling = role == .controlling
        let best = pairs.indices
            .filter { pairs[$0].state == .waiting }
            .max { pairs[$0].priority(localIsControlling: controlling) < pairs[$1].priority(localIsControlling: controlling) }
        if let best { sendCheck(on: best, purpose: .connectivity) }
    }

    mutating func sendCheck(on index: Int, purpose: ICEOutstandingRequest.Purpose) {
        guard let remoteCredentials else { return }
        let pair = pairs[index]
        let localIndex = localAddresses.firstIndex(of: pair.local) ?? 0
        let localPreference = UInt16(truncatingIfNeeded: localPriority(localIndex) >> 8)
        let controlling = role == .controlling
        var attributes: [STUNAttribute] = [
            .username("\(remoteCredentials.ufrag):\(localCredentials.ufrag)"),
            .priority(ICECandidate.priority(kind: .peerReflexive, localPreference: localPreference)),
            controlling ? .iceControlling(tieBreaker: tieBreaker) : .iceControlled(tieBreaker: tieBreaker),
        ]
        if purpose == .nomination, controlling { attributes.append(.useCandidate) }
        let transactionID = STUNTransactionID.random(using: &random)
        let bytes = STUNMessage(.request, transactionID: transactionID, attributes: attributes)
            .encode(integrityKey: STUNMessage.shortTermKey(password: remoteCredentials.pwd), fingerprint: true)

        if purpose == .connectivity { pairs[index].state = .inProgress }
        if purpose != .consent { lastPacedCheckAt = now }
        requests.append(ICEOutstandingRequest(
            transactionID: transactionID, pairIndex: index, bytes: bytes, purpose: purpose,
            sentAsControlling: controlling,
            maxTransmissions: purpose == .consent ? configuration.maxConsentTransmissions : configuration.maxCheckTransmissions,
            transmissions: 1, rto: configuration.initialRTO, nextAt: now + configuration.initialRTO))
        transmit(bytes, from: pair.local, to: pair.remote)
    }

    /// RFC 8489 §6.2.1: retransmit with a doubling RTO; after the last send and one more RTO, give up.
    mutating func retransmitOrExpireRequests() {
        var position = 0
        while position < requests.count {
            var request = requests[position]
            guard request.nextAt <= now else {
                position += 1
                continue
            }
            if request.transmissions >= request.maxTransmissions {
                requests.remove(at: position)
                if request.purpose != .consent { failPair(request.pairIndex) }
                continue
            }
            request.transmissions += 1
            request.rto = min(request.rto * 2, configuration.maxRTO)
            request.nextAt = now + request.rto
            requests[position] = request
            let pair = pairs[request.pairIndex]
            transmit(request.bytes, from: pair.local, to: pair.remote)
            position += 1
        }
    }

    // MARK: - Nomination and selection

    /// Controlling side with a valid pair but no nomination yet.
    var awaitingNomination: Bool {
        // Cheapest first: the selected pair ends it before the credentials are read or the pairs walked.
        role == .controlling && selectedIndex == nil && remoteCredentials != nil
            && !pairs.contains { $0.nominated || $0.nominating }
            && pairs.contains { $0.state == .succeeded }
    }

    /// Regular nomination (RFC 8445 §8.1.1): nominate the best valid pair once no better pair is
    /// still being checked, or once `nominationTimeout` has passed since the first valid pair.
    mutating func nominateIfReady() {
        guard awaitingNomination else { return }
        let controlling = true
        let valid = pairs.indices.filter { pairs[$0].state == .succeeded }
        guard let best = valid.max(by: {
            pairs[$0].priority(localIsControlling: controlling) < pairs[$1].priority(localIsControlling: controlling)
        }) else { return }
        let bestPriority = pairs[best].priority(localIsControlling: controlling)
        let betterPending = pairs.contains {
            ($0.state == .waiting || $0.state == .inProgress) && $0.priority(localIsControlling: controlling) > bestPriority
        }
        let waitedEnough = firstValidAt.map { now >= $0 + configuration.nominationTimeout } ?? true
        guard !betterPending || waitedEnough else { return }
        pairs[best].nominating = true
        // A nomination goes ahead of other triggered checks: it is what ends checking.
        triggered.removeAll { $0 == best }
        triggered.insert(best, at: 0)
    }

    /// Selects the highest-priority nominated valid pair (RFC 8445 §8.1.1, §8.2).
    mutating func updateSelection() {
        let controlling = role == .controlling
        let nominated = pairs.indices.filter { pairs[$0].nominated && pairs[$0].state == .succeeded }
        guard let best = nominated.max(by: {
            pairs[$0].priority(localIsControlling: controlling) < pairs[$1].priority(localIsControlling: controlling)
        }), best != selectedIndex, !consentLost else { return }
        selectedIndex = best
        events.append(.selectedPairChanged(remote: pairs[best].remote))
        // The successful check that made this pair selectable was itself a consent response.
        lastConsentAt = now
        nextConsentAt = now + randomConsentInterval()
        if state != .connected && state != .completed { setState(.connected) }
    }

    mutating func randomConsentInterval() -> Duration {
        let lower = configuration.consentInterval.lowerBound.nanoseconds
        let upper = configuration.consentInterval.upperBound.nanoseconds
        return .nanoseconds(Int64.random(in: lower...max(lower, upper), using: &random))
    }

    // MARK: - Consent freshness (RFC 7675)

    mutating func refreshConsent() {
        guard let selectedIndex, !consentLost, let lastConsentAt else { return }
        let silence = now - lastConsentAt
        if silence >= configuration.consentTimeout {
            // Consent is lost for good: stop sending anything on the pair, tell the owner.
            consentLost = true
            nextConsentAt = nil
            requests.removeAll()
            triggered.removeAll()
            setState(.failed)
            return
        }
        if silence >= configuration.disconnectedAfter, state == .connected || state == .completed {
            setState(.disconnected)
        }
        if let nextConsentAt, now >= nextConsentAt {
            sendCheck(on: selectedIndex, purpose: .consent)
            self.nextConsentAt = now + randomConsentInterval()
        }
    }

    // MARK: - Overall state

    /// `.completed` once a pair is selected and no check is left; `.failed` when every pair failed
    /// before anything was selected (a late check from the peer may still revive it).
    mutating func updateChecklistState() {
        guard !consentLost else { return }
        let checking = !triggered.isEmpty || requests.contains { $0.purpose != .consent }
        if selectedIndex != nil {
            if state == .connected, !checking { setState(.completed) }
            return
        }
        guard remoteCredentials != nil else { return }
        let allFailed = !pairs.isEmpty && pairs.allSatisfy { $0.state == .failed }
        if state == .checking, allFailed, !checking {
            setState(.failed)
        } else if state == .failed, !allFailed {
            setState(.checking)
        }
    }
}
