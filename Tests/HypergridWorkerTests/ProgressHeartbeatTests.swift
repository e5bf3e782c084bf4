import HypergridProtocol
import HypergridSearchSpace
import Testing
@testable import HypergridWorker

/// The worker's side of progress liveness (issue 17 §1) and of quarantine (§2), on a fake clock.
@Suite struct ProgressHeartbeatTests {
    @Test func whileATrialTrainsHeartbeatsCarryItsIterationsDone() {
        var h = SessionHarness()
        h.at(0, .start)
        h.at(0.2, .received(.assign(assignment(1))))
        h.at(0.5, .received(.heartbeat))
        // Loading data: plain heartbeats.
        h.advance(to: 1)
        #expect(h.sent(since: 1) == [.heartbeat])
        h.at(1.3, .iterationsDone(trialID(1), 40))
        h.at(1.5, .received(.heartbeat))
        h.advance(to: 2)
        // (NaN is not equal to itself, so the message is taken apart.)
        guard case .progress(let p)? = h.sent(since: 2).first else { Issue.record("\(h.sent(since: 2))"); return }
        #expect(p.trialID == trialID(1) && p.iteration == 40 && p.epoch == 0 && p.loss.isNaN)
        // After an epoch, its number and loss ride along.
        h.at(2.1, .trialProgress(TrialProgress(trialID: trialID(1), attempt: 1, epoch: 1, iteration: 50, loss: 0.7)))
        h.at(2.2, .iterationsDone(trialID(1), 55))
        h.at(2.5, .received(.heartbeat))
        h.advance(to: 3)
        #expect(h.sent(since: 3) == [.progress(TrialProgress(trialID: trialID(1), attempt: 1, epoch: 1, iteration: 55, loss: 0.7))])
        // Once the result is in, plain heartbeats again.
        h.at(3.2, .trialFinished(report(1)))
        h.at(3.5, .received(.ack(trialID(1))))
        h.advance(to: 4)
        #expect(h.sent(since: 4) == [.heartbeat])
    }

    @Test func anAbandonedTrialIsCancelledAndTheWorkerAsksForWorkOnceTheThreadLetsGo() {
        var h = SessionHarness()
        h.at(0, .start)
        h.at(0.2, .received(.assign(assignment(1))))
        let actions = h.at(5, .received(.abandon(trialID(1))))
        #expect(actions.effects == [.cancelTrial])
        #expect(h.session.currentTrial == nil)
        let r1 = h.at(5.3, .trialStopped(trialID(1)))
        #expect(r1.effects == [.sendReady])
        // It goes on as a healthy worker: no stop at the grace's end.
        for t in stride(from: 5.5, through: 15.5, by: 1) { h.at(t, .received(.heartbeat)) }
        #expect(h.session.stopReason == nil)
    }

    @Test func aTrainingThreadThatDoesNotLetGoStopsTheWorkerAsWedged() {
        var h = SessionHarness()
        h.at(0, .start)
        h.at(0.2, .received(.assign(assignment(1))))
        h.at(5, .received(.abandon(trialID(1))))
        for t in stride(from: 5.5, through: 12.5, by: 1) { h.at(t, .received(.heartbeat)) }
        // The grace is the liveness window, 4 s: at 9 s the worker gives up on its thread.
        #expect(h.session.stopReason == .trainingWedged(trialID(1), seconds: 4))
        #expect(h.times(of: isStop) == [9])
    }

    @Test func anAbandonForAnotherTrialIsIgnored() {
        var h = SessionHarness()
        h.at(0, .start)
        h.at(0.2, .received(.assign(assignment(1))))
        let r2 = h.at(1.5, .received(.abandon(trialID(2))))
        #expect(r2.effects.isEmpty)
        #expect(h.session.currentTrial == trialID(1))
    }

    @Test func aQuarantinedWorkerAbandonsItsTrialAndStops() {
        var h = SessionHarness()
        h.at(0, .start)
        h.at(0.2, .received(.assign(assignment(1))))
        let actions = h.at(1, .received(.quarantine(reason: "its last 3 trials failed")))
        #expect(actions.effects == [.cancelTrial, .stop(.quarantined(reason: "its last 3 trials failed"))])
    }
}
