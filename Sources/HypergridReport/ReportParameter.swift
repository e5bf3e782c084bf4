import HypergridResults
import HypergridSearchSpace

/// A hyperparameter a chart can put on an axis.
public enum ReportParameter: String, Sendable, CaseIterable {
    case hidden
    case batchNorm = "batch_norm"
    case optimizer
    case momentum
    case learningRate = "lr"
    case decay
    case reg
    case batchSize = "batch_size"
    case length
    case initScheme = "init"

    /// Accepts the grid file's spelling (`learning_rate`, `batch_norm`, `iterations`) and
    /// the short one (`lr`, `bn`).
    public init?(name: String) {
        switch name.lowercased().trimmingCharacters(in: .whitespaces) {
        case "hidden", "architecture": self = .hidden
        case "batch_norm", "bn", "batchnorm": self = .batchNorm
        case "optimizer": self = .optimizer
        case "momentum": self = .momentum
        case "lr", "learning_rate": self = .learningRate
        case "decay", "lr_decay": self = .decay
        case "reg": self = .reg
        case "batch_size", "batch": self = .batchSize
        case "length", "iterations", "epochs": self = .length
        case "init": self = .initScheme
        default: return nil
        }
    }

    /// Axis titles.
    public var title: String {
        switch self {
        case .hidden: "hidden layers"
        case .batchNorm: "BatchNorm"
        case .optimizer: "optimizer"
        case .momentum: "momentum"
        case .learningRate: "learning rate"
        case .decay: "learning-rate decay per epoch"
        case .reg: "L2 regularisation (reg)"
        case .batchSize: "batch size"
        case .length: "training length"
        case .initScheme: "initialisation"
        }
    }

    /// Learning rates and regularisation strengths are swept over decades, so their axes
    /// are logarithmic (when every value is positive).
    public var isLogarithmic: Bool { self == .learningRate || self == .reg }

    /// This parameter's value in `config`.
    public func value(of config: TrialConfig) -> ParameterValue {
        switch self {
        case .hidden:
            return ParameterValue(label: config.hidden.isEmpty ? "none" : config.hidden.map(String.init).joined(separator: "-"),
                                  order: [Double(config.hidden.count)] + config.hidden.map(Double.init))
        case .batchNorm:
            return ParameterValue(label: config.batchNorm ? "yes" : "no", order: [config.batchNorm ? 1 : 0])
        case .optimizer:
            let index = OptimizerKind.allCases.firstIndex(of: config.optimizer) ?? 0
            return ParameterValue(label: config.optimizer.rawValue, order: [Double(index)])
        case .momentum: return .number(config.momentum)
        case .learningRate: return .number(config.learningRate)
        case .decay: return .number(config.learningRateDecay)
        case .reg: return .number(config.reg)
        case .batchSize: return .number(Double(config.batchSize))
        case .length:
            switch config.length {
            case .iterations(let n): return ParameterValue(label: "\(n) it", order: [0, Double(n)], number: Double(n))
            case .epochs(let n): return ParameterValue(label: "\(n) ep", order: [1, Double(n)], number: Double(n))
            }
        case .initScheme:
            switch config.initScheme {
            case .gaussian(let std): return ParameterValue(label: "std=\(ReportFormat.number(std))", order: [0, std], number: std)
            case .he: return ParameterValue(label: "he", order: [1])
            }
        }
    }

    /// `target` with this parameter set to its value in `source`.
    public func copy(from source: TrialConfig, into target: TrialConfig) -> TrialConfig {
        var t = target
        switch self {
        case .hidden: t.hidden = source.hidden
        case .batchNorm: t.batchNorm = source.batchNorm
        case .optimizer: t.optimizer = source.optimizer
        case .momentum: t.momentum = source.momentum
        case .learningRate: t.learningRate = source.learningRate
        case .decay: t.learningRateDecay = source.learningRateDecay
        case .reg: t.reg = source.reg
        case .batchSize: t.batchSize = source.batchSize
        case .length: t.length = source.length
        case .initScheme: t.initScheme = source.initScheme
        }
        return t
    }

    /// Parses `lr,reg` (the `--heatmap` option).
    /// - Throws: ``ReportError`` naming the option and the accepted names.
    public static func pair(parsing text: String) throws -> (ReportParameter, ReportParameter) {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let accepted = allCases.map(\.rawValue).joined(separator: ", ")
        guard names.count == 2 else {
            throw ReportError("--heatmap takes two parameters separated by a comma, e.g. lr,reg; got '\(text)'.")
        }
        let parsed = names.map { ReportParameter(name: $0) }
        guard let x = parsed[0], let y = parsed[1] else {
            let bad = names[parsed[0] == nil ? 0 : 1]
            throw ReportError("--heatmap: unknown parameter '\(bad)'; use two of \(accepted).")
        }
        guard x != y else { throw ReportError("--heatmap needs two different parameters; got '\(text)'.") }
        return (x, y)
    }

    /// The parameters that take more than one value among `configs`, in declaration order.
    static func swept(in configs: [TrialConfig]) -> [ReportParameter] {
        allCases.filter { p in Set(configs.map { p.value(of: $0) }).count > 1 }
    }
}

/// A parameter's value: its label, a sort key and, for numbers, the number.
public struct ParameterValue: Sendable, Hashable, Comparable {
    public var label: String
    /// Sorts values in the order an axis shows them.
    public var order: [Double]
    public var number: Double?

    public init(label: String, order: [Double], number: Double? = nil) {
        self.label = label
        self.order = order
        self.number = number
    }

    static func number(_ x: Double) -> ParameterValue {
        ParameterValue(label: ReportFormat.number(x), order: [x], number: x)
    }

    public static func < (a: ParameterValue, b: ParameterValue) -> Bool {
        a.order.lexicographicallyPrecedes(b.order)
    }

    public static func == (a: ParameterValue, b: ParameterValue) -> Bool { a.label == b.label && a.order == b.order }
    public func hash(into hasher: inout Hasher) { hasher.combine(label); hasher.combine(order) }
}
