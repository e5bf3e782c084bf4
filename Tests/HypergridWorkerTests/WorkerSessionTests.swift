import HypergridProtocol
import HypergridSearchSpace
import Testing
@testable import HypergridWorker

/// The connection logic on a fake clock: every time below is exact, nothing sleeps.
@Suite struct WorkerSessionTests {
    // MARK: liveness and backoff

    @Test func startConnectsIntroducesItselfAndHeartbeatsEverySecond() {
        var h = SessionHarness()
        #expect(h.at(0, .start).effects == [.connect, .sendReady])
        // The coordinator heartbeats too, so the connection stays up.
        for t in stride(from: 0.5, through: 9.5, by: 1) { h.at(t, .received(.heartbeat)) }
        h.advance(to: 10)
        #expect(h.times(of: isHeartbeat) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        #expect(h.times(of: isDisconnect).isEmpty)
        #expect(h.times(of: isConnect) == [0])
    }

    @Test func heartbeatsContinueWhileATrialTrains() {
        var h = SessionHarness()
        h.at(0, .start)
        h.at(0.2, .received(.assign(assignment(1))))
        for t in [1.5, 2.5, 3.5] { h.at(t, .received(.heartbeat)) }
        h.advance(to: 4)
        #expect(h.session.currentTrial == trialID(1))
        #expect(h.times(of: isHeartbeat) == [1, 2, 3, 4])
    }

    @Test func silenceReconnectsWithABackoffDoublingFromOneToThirtyTwoSeconds() {
        var h = SessionHarness()
        h.at(0, .start)
        h.advance(to: 300)
        let disconnects = h.times(of: isDisconnect)
        let connects = h.times(of: isConnect)
        // Each connection lives 4 s (1 s × liveness 4), then waits the backoff.
        let waits = zip(disconnects, connects.dropFirst()).map { $1 - $0 }
        #expect(Array(waits.prefix(8)) == [1, 2, 4, 8, 16, 32, 32, 32])
        #expect(zip(connects, disconnects).allSatisfy { $1 - $0 == 4 })
        // A new socket always says ready first, once.
        let readies = h.times(of: { $0 == .sendReady })
        #expect(readies == connects)
    }

    @Test func hearingAnythingResetsTheBackoff() {
        var h = SessionHarness()
        h.at(0, .start)
        h.advance(to: 12)          // lost at 4 (wait 1), reconnected at 5, lost at 9 (wait 2), back at 11
        #expect(h.session.backoff == 4)
        h.at(12, .received(.heartbeat))
        #expect(h.session.backoff == 1)
        h.advance(to: 30)
        // Silent again from 12: lost at 16, the wait is 1 s again.
        #expect(h.times(of: isDisconnect).suffix(from: 2).first == 16)
        #expect(h.times(of: isConnect).contains(17))
    }

    @Test func anUndecodableFrameProvesThePeerAliveButIsOtherwiseIgnored() {
        var h = SessionHarness()
        h.at(0, .start)
        let actions = h.at(3.75, .undecodable(.badMagic(found: [1, 2])))
        #expect(actions.effects.isEmpty)
        #expect(actions.contains { if case .log(.warning, _) = $0 { return true } else { return false } })
        h.advance(to: 7)
        #expect(h.times(of: isDisconnect) == [])
        h.advance(to: 8)
        #expect(h.times(of: isDisconnect) == [7.75])
    }

    // MARK: results

    @Test func aResultIsResentEveryTwoSecondsUntilAcknowledged() {
        var h = SessionHarness()
        h.at(0, .start)
        h.at(0.1, .received(.assign(assignment(1))))
        for t in 1...9 { h.at(Double(t), .received(.heartbeat)) }
        h.at(10, .trialFinished(report(1)))
        for t in 11...15 { h.at(Double(t), .received(.heartbeat)) }
        let ack = h.at(15.5, .received(.ack(trialID(1))))
        #expect(ack.effects == [.discardResult(trialID(1))])
        for t in 16...25 { h.at(Double(t), .received(.heartbeat)) }
        #expect(h.times(of: isResult) == [10, 12, 14])
        #expect(h.session.unacknowledged.isEmpty)
    }

    @Test func resultsLeftByAnEarlierRunGoOutRightAfterReady() {
        var h = SessionHarness(pending: [report(7), report(8)])
        #expect(h.at(0, .start).effects == [.connect, .sendReady, .send(.result(report(7))), .send(.result(report(8)))])
    }

    @Test func aResultFinishedWhileDisconnectedIsSentAfterTheNextReady() {
        var h = SessionHarness()
        h.at(0, .start)
        h.at(0.5, .received(.assign(assignment(1))))
        h.advance(to: 4.6)                       // silent since 0.5: dropped at 4.5, back at 5.5
        #expect(!h.session.isConnected)
        #expect(h.at(5, .trialFinished(report(1))).effects.isEmpty)
        h.advance(to: 5.5)
        #expect(h.log.filter { $0.time == 5.5 }.map(\.action).effects
                == [.connect, .sendReady, .send(.result(report(1)))])
    }

    @Test func anAssignmentOfATrialWhoseResultIsPendingIsAnsweredWithTheResult() {
        var h = SessionHarness(pending: [report(3)])
        h.at(0, .start)
        let actions = h.at(0.5, .received(.assign(assignment(3))))
        #expect(actions.effects == [.send(.result(report(3)))])
        #expect(h.session.currentTrial == nil)
    }

    // MARK: trials

    @Test func anAssignmentWhileBusyWaitsForTheRunningTrial() {
        var h = SessionHarness()
        h.at(0, .start)
        #expect(h.at(0.1, .received(.assign(assignment(1)))).effects == [.startTrial(assignment(1))])
        #expect(h.at(0.2, .received(.assign(assignment(2)))).effects.isEmpty)
        #expect(h.at(0.3, .received(.assign(assignment(1)))).effects.isEmpty)   // already running
        #expect(h.session.queuedTrials == [trialID(2)])
        let done = h.at(0.9, .trialFinished(report(1)))
        #expect(done.effects == [.send(.result(report(1))), .startTrial(assignment(2))])
    }

    @Test func progressIsForwardedOnlyWhileConnected() {
        var h = SessionHarness()
        h.at(0, .start)
        h.at(0.1, .received(.assign(assignment(1))))
        let p = TrialProgress(trialID: trialID(1), attempt: 1, epoch: 1, iteration: 10, loss: 0.7, validationAccuracy: 0.6)
        #expect(h.at(0.5, .trialProgress(p)).effects == [.send(.progress(p))])
        h.advance(to: 4.2)   // dropped at 4.1
        #expect(h.at(4.3, .trialProgress(p)).effects.isEmpty)
    }

    // MARK: leaving

    @Test func shutdownWithNothingPendingSaysGoodbyeAndStops() {
        var h = SessionHarness()
        h.at(0, .start)
        #expect(h.at(1, .received(.shutdown)).effects == [.send(.goodbye(abandoned: nil)), .stop(.shutdown)])
        #expect(h.session.nextDeadline == nil)
        #expect(h.at(2, .received(.heartbeat)).isEmpty)
    }

    @Test func shutdownWhileTrainingHandsTheTrialBack() {
        var h = SessionHarness()
        h.at(0, .start)
        h.at(0.1, .received(.assign(assignment(1))))
        #expect(h.at(1, .received(.shutdown)).effects
                == [.cancelTrial, .send(.goodbye(abandoned: trialID(1))), .stop(.shutdown)])
    }

    @Test func shutdownWaitsForPendingAcknowledgements() {
        var h = SessionHarness(pending: [report(1)])
        h.at(0, .start)
        #expect(h.at(0.5, .received(.shutdown)).effects == [.send(.goodbye(abandoned: nil)), .send(.result(report(1)))])
        #expect(h.at(0.7, .received(.assign(assignment(2)))).effects.isEmpty)
        #expect(h.at(0.9, .received(.ack(trialID(1)))).effects == [.discardResult(trialID(1)), .stop(.shutdown)])
    }

    @Test func shutdownStopsAfterTheGraceEvenWithoutAcknowledgements() {
        var h = SessionHarness(pending: [report(1)])
        h.at(0, .start)
        h.at(1, .received(.shutdown))
        for t in [2.0, 3.0, 4.0] { h.at(t, .received(.heartbeat)) }
        h.advance(to: 10)
        #expect(h.times(of: isStop) == [5])    // grace = heartbeat × liveness = 4 s
        #expect(h.session.stopReason == .shutdown)
    }

    @Test func aStopRequestAbandonsTheTrialWithAGoodbye() {
        var h = SessionHarness()
        h.at(0, .start)
        h.at(0.1, .received(.assign(assignment(4))))
        #expect(h.at(2, .stopRequested).effects
                == [.cancelTrial, .send(.goodbye(abandoned: trialID(4))), .stop(.interrupted)])
    }

    @Test func aStopRequestWhileDisconnectedSendsNothing() {
        var h = SessionHarness()
        h.at(0, .start)
        h.advance(to: 4.5)
        #expect(h.at(4.6, .stopRequested).effects == [.stop(.interrupted)])
    }

    @Test func refusalStopsWithTheReason() {
        var h = SessionHarness()
        h.at(0, .start)
        h.at(0.1, .received(.assign(assignment(1))))
        #expect(h.at(1, .received(.refuse(reason: "numerics x differ"))).effects
                == [.cancelTrial, .stop(.refused(reason: "numerics x differ"))])
    }

    @Test func aProtocolVersionMismatchStops() {
        var h = SessionHarness()
        h.at(0, .start)
        let error = ProtocolError.versionMismatch(peer: 2, local: 1, refusal: nil)
        #expect(h.at(1, .undecodable(error)).effects == [.stop(.versionMismatch(peer: 2, local: 1, refusal: nil))])
    }

    @Test func givesUpWhenNothingIsHeardForLongWhileIdle() {
        var h = SessionHarness(policy: WorkerSessionPolicy(giveUpAfter: 60))
        h.at(0, .start)
        h.advance(to: 200)
        // Reconnections at 5, 11, 19, 31, 51; at 87 the silence has lasted 87 s ≥ 60.
        #expect(h.times(of: isConnect) == [0, 5, 11, 19, 31, 51])
        #expect(h.session.stopReason == .gaveUp(seconds: 87, everHeard: false))
    }

    @Test func doesNotGiveUpWhileATrialRuns() {
        var h = SessionHarness(policy: WorkerSessionPolicy(giveUpAfter: 10))
        h.at(0, .start)
        h.at(0.5, .received(.assign(assignment(1))))
        h.advance(to: 100)
        #expect(h.session.stopReason == nil)
        h.at(100, .trialFinished(report(1)))
        h.advance(to: 200)
        #expect(h.session.stopReason == .gaveUp(seconds: h.session.now - 0.5, everHeard: true))
    }
}
