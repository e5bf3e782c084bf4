/// One trial of a run's plan: a grid point trained with one seed.
public struct PlannedTrial: Codable, Sendable, Hashable {
    public var id: TrialID
    public var config: TrialConfig
    /// Index of the grid point in the expanded grid; the repeats of a point share it.
    public var point: Int
    /// Which repeat of the point this is (0-based); its seed is derived from it.
    public var repetition: Int
    /// Relative cost estimate (multiply-adds per sample × samples trained), used to
    /// dispatch the longest trials first so that a run's tail is short.
    public var cost: Double

    public init(id: TrialID, config: TrialConfig, point: Int, repetition: Int, cost: Double) {
        self.id = id
        self.config = config
        self.point = point
        self.repetition = repetition
        self.cost = cost
    }
}
