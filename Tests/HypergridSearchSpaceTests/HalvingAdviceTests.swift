import Testing
@testable import HypergridSearchSpace

/// The note a halving search gets when its first rung may drop augmented points too early.
@Suite struct HalvingAdviceTests {
    func configs(crops: [Int?], mixup: [Double?] = [nil]) -> [TrialConfig] {
        crops.flatMap { crop in mixup.map { alpha in
            var c = TrialConfig()
            (c.randomCrop, c.mixup) = (crop, alpha)
            return c
        } }
    }

    @Test func notesAShortFirstRungOverMixedAugmentation() {
        let short = HalvingRungs(factor: 2, minEpochs: 30, maxEpochs: 120)
        #expect(short.augmentationNote(for: configs(crops: [nil, 1]))
                == "note: halving compares points with different random_crop from a first rung of 30 of 120 epochs; such regularisers usually trail early and win late, so consider search.min_epochs of 60 or more (docs/halving-repeats-refit.md)")
        #expect(short.augmentationNote(for: configs(crops: [1], mixup: [nil, 0.2]))?.contains("different mixup from") == true)
        #expect(short.augmentationNote(for: configs(crops: [nil, 2], mixup: [nil, 0.2]))?.contains("random_crop and mixup") == true)
        // Every point augmented alike, a first rung at half the schedule, or a single rung: no note.
        #expect(short.augmentationNote(for: configs(crops: [1, 1])) == nil)
        #expect(HalvingRungs(factor: 2, minEpochs: 75, maxEpochs: 150).augmentationNote(for: configs(crops: [nil, 1])) == nil)
        #expect(HalvingRungs(factor: 2, minEpochs: 150, maxEpochs: 150).augmentationNote(for: configs(crops: [nil, 1])) == nil)
    }
}
