/// Philox stream ids, so that each use of a trial's seed draws an independent sequence.
public enum RandomStreams {
    /// Minibatch row sampling.
    public static let minibatch: UInt64 = 1
    /// Weight initialisation of affine layer `layer` (one stream per layer, so that a
    /// layer's initial weights do not depend on the sizes of the layers before it).
    public static func initialization(layer: Int) -> UInt64 { 0x100 + UInt64(layer) }
    /// Horizontal-flip decisions of the training minibatches (one word per row and step).
    public static let horizontalFlip: UInt64 = 2
    /// Random-crop shifts of the training minibatches (one word per row and step).
    public static let randomCrop: UInt64 = 3
    /// Epoch-wise shuffling: epoch `e`'s permutation starts at block `e·2³²`.
    public static let epochShuffle: UInt64 = 4
    /// MixUp's mixing weight of each training step (step `t` starts at block `t·2³²`).
    public static let mixUp: UInt64 = 5
    /// Dropout masks after hidden layer `layer` (one word per activation and step).
    public static func dropout(layer: Int) -> UInt64 { 0x200 + UInt64(layer) }
}
