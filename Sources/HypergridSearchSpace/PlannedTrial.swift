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
    /// Successive halving: the rung (0-based) this trial belongs to; nil outside halving.
    public var rung: Int? = nil
    /// Continue from the checkpoint that this (earlier rung's) trial saved, instead of from
    /// scratch; the result is the same bits either way, only the cost differs.
    public var resumeFrom: TrialID? = nil
    /// Ask the worker to send back a checkpoint of the final training state (a halving
    /// trial whose survivors continue from it).
    public var saveCheckpoint: Bool = false

    public init(id: TrialID, config: TrialConfig, point: Int, repetition: Int, cost: Double,
                rung: Int? = nil, resumeFrom: TrialID? = nil, saveCheckpoint: Bool = false) {
        self.id = id
        self.config = config
        self.point = point
        self.repetition = repetition
        self.cost = cost
        self.rung = rung
        self.resumeFrom = resumeFrom
        self.saveCheckpoint = saveCheckpoint
    }
}
