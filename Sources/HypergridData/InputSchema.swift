import Foundation

/// How a user's raw rows become the model's numeric feature vector, and how the model's
/// outputs become labels again: the part of the input pipeline that comes before
/// standardisation and PCA.
///
/// It is the contract between the dataset readers (which fit it on the training split) and
/// the model file (which carries it so that `hypergrid predict` can take the same raw rows).
/// Every field is fitted on the training split only.
public struct InputSchema: Codable, Sendable, Hashable {
    /// One raw input column of a table (CSV), in the order its features appear.
    public struct Column: Codable, Sendable, Hashable {
        /// How the column's cells become features.
        public enum Encoding: Codable, Sendable, Hashable {
            /// A number: one feature. An empty or missing cell becomes `imputeValue`
            /// (the training split's mean).
            case numeric(imputeValue: Float)
            /// Text: one-hot, one feature per entry of `vocabulary` (the training split's
            /// categories, sorted). A category not in the vocabulary encodes as all zeros; a
            /// missing cell becomes `imputeCategory` (the training split's most frequent).
            case categorical(vocabulary: [String], imputeCategory: String)
        }

        /// The header's name of the column.
        public var name: String
        public var encoding: Encoding

        public init(name: String, encoding: Encoding) {
            self.name = name
            self.encoding = encoding
        }

        /// Features this column produces: 1 for a number, the vocabulary's size for text.
        public var featureWidth: Int {
            switch encoding {
            case .numeric: return 1
            case .categorical(let vocabulary, _): return vocabulary.count
            }
        }
    }

    /// What the model predicts.
    public enum Target: Codable, Sendable, Hashable {
        /// Classification: output k is the class `names[k]` (sorted; integers as their text).
        case classes(names: [String])
        /// Regression: one output per target column. The network learns standardised targets
        /// and a prediction is `output·deviation + mean`, per column.
        case regression(names: [String], mean: [Double], deviation: [Double])

        /// Network outputs: classes or target columns.
        public var outputCount: Int {
            switch self {
            case .classes(let names): return names.count
            case .regression(let names, _, _): return names.count
            }
        }
    }

    /// The table's feature columns in encoding order; `nil` for array data (NumPy, IDX, the
    /// built-in datasets), whose features are the array's values as they are.
    public var columns: [Column]?
    /// Raw values per row for array data (`nil` columns); ignored for tables.
    public var arrayFeatureCount: Int
    /// The label or target column(s) of a table, by header name; empty for array data.
    public var labelColumns: [String]
    public var target: Target
    /// How each row's features form an image (IDX, CIFAR-10); `nil` otherwise.
    public var imageLayout: ImageLayout?

    public init(columns: [Column]?, arrayFeatureCount: Int = 0, labelColumns: [String] = [],
                target: Target, imageLayout: ImageLayout? = nil) {
        self.columns = columns
        self.arrayFeatureCount = arrayFeatureCount
        self.labelColumns = labelColumns
        self.target = target
        self.imageLayout = imageLayout
    }

    /// Features per row after column encoding: the network's input width before PCA.
    public var featureCount: Int {
        columns.map { $0.reduce(0) { $0 + $1.featureWidth } } ?? arrayFeatureCount
    }
}
