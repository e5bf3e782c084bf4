import Foundation

/// Datasets from the user's arrays: `.npy` pairs, `.npz` archives and IDX image/label pairs.
/// Features are the arrays' values as float32 (rows are the first axis, the rest flattened in
/// C order); labels or targets come from the second array.
enum ArrayDataset {
    /// Arrays as read, before splitting.
    struct Arrays {
        var name: String
        var x: FloatStorage
        var rows: Int
        var width: Int
        var imageLayout: ImageLayout?
        /// `rows × targetColumns`, row-major.
        var y: [Double]
        var targetColumns: Int
        /// The `y` array's dtype is floating point (regression unless the task says otherwise).
        var yFloatingPoint: Bool
        var yIsBool: Bool
        var yName: String
    }

    /// Reads a features array into float32 storage, refusing NaN and infinities.
    static func readFeatures(_ s: ByteStream) throws -> (FloatStorage, rows: Int, width: Int, layout: ImageLayout?) {
        let h = try NPY.header(s)
        guard let rows = h.shape.first else {
            throw DatasetError(.corruptFile, "\(s.name) holds a single number; the features array needs one row per example.")
        }
        let width = h.shape.dropFirst().reduce(1, *)
        guard width >= 1 else { throw DatasetError(.corruptFile, "\(s.name) has shape \(h.shape) with no features per row.") }
        let storage = FloatStorage(zeroedCount: rows * width)
        let base = storage.base
        func refuse(_ i: Int, _ v: Double) throws {
            throw DatasetError(.corruptFile, "\(s.name): element [\(i / width), \(i % width)] is \(v.isNaN ? "NaN" : "\(v > 0 ? "" : "-")inf"); features must be finite numbers (impute or drop such rows before saving).")
        }
        if h.dtype == .float32 {
            try NPY.readFloat32(s, h, into: base, nonFinite: refuse)
        } else {
            try NPY.readValues(s, h) { i, v in
                if !v.isFinite { try refuse(i, v) }
                base[i] = Float(v)
            }
        }
        var layout: ImageLayout?
        if h.shape.count == 3 { layout = ImageLayout(height: h.shape[1], width: h.shape[2], channels: 1) }
        if h.shape.count == 4 && (1...4).contains(h.shape[3]) {
            layout = ImageLayout(height: h.shape[1], width: h.shape[2], channels: h.shape[3])
        }
        return (storage, rows, width, layout)
    }

    /// Reads a labels/targets array: `N` values or `N × T`.
    static func readTargets(_ s: ByteStream, rows: Int, xName: String) throws -> (y: [Double], columns: Int, floating: Bool, bool: Bool) {
        let h = try NPY.header(s)
        guard h.shape.count == 1 || h.shape.count == 2 else {
            throw DatasetError(.corruptFile, "\(s.name) has shape \(h.shape); labels are one value per row (N) or one row of targets per row (N × T).")
        }
        guard h.shape[0] == rows else {
            throw DatasetError(.corruptFile, "\(s.name) has \(grouped(h.shape[0])) rows but \(xName) has \(grouped(rows)); X and y need one row each per example.")
        }
        let columns = h.shape.count == 2 ? h.shape[1] : 1
        guard columns >= 1 else { throw DatasetError(.corruptFile, "\(s.name) has no target columns.") }
        var y = [Double](repeating: 0, count: rows * columns)
        try NPY.readValues(s, h) { i, v in
            guard v.isFinite else {
                throw DatasetError(.corruptFile, "\(s.name): element [\(i / columns)\(columns > 1 ? ", \(i % columns)" : "")] is \(v.isNaN ? "NaN" : "infinite"); labels and targets must be finite numbers.")
            }
            y[i] = v
        }
        return (y, columns, h.dtype.isFloatingPoint, h.dtype == .bool)
    }

    /// Reads the arrays a request names (`.npy` pair, `.npz` or IDX pair).
    static func read(_ request: DatasetRequest, source: FileSource, testFile: Bool) throws -> Arrays {
        switch request.kind {
        case .npy:
            let (xURL, yURL) = (try FileDataset.url(source.x, key: "x", kind: "npy"), try FileDataset.url(source.y, key: "y", kind: "npy"))
            let xs = FileRangeStream(try FileDescriptor(xURL), name: xURL.path)
            let (x, rows, width, layout) = try readFeatures(xs)
            let ys = FileRangeStream(try FileDescriptor(yURL), name: yURL.path)
            let t = try readTargets(ys, rows: rows, xName: xURL.lastPathComponent)
            return Arrays(name: xURL.lastPathComponent, x: x, rows: rows, width: width, imageLayout: layout, y: t.y,
                          targetColumns: t.columns, yFloatingPoint: t.floating, yIsBool: t.bool, yName: yURL.deletingPathExtension().lastPathComponent)
        case .npz:
            let path = testFile ? source.testPath : request.directory
            let url = try FileDataset.url(path, key: testFile ? "test_path" : "path", kind: "npz")
            let archive = try ZipArchive(url)
            let (xm, xs) = try archive.open(source.xName)
            let (x, rows, width, layout) = try readFeatures(xs)
            try archive.finish(xm, xs)
            let (ym, ys) = try archive.open(source.yName)
            let t = try readTargets(ys, rows: rows, xName: "array '\(source.xName)'")
            try archive.finish(ym, ys)
            return Arrays(name: url.lastPathComponent, x: x, rows: rows, width: width, imageLayout: layout, y: t.y,
                          targetColumns: t.columns, yFloatingPoint: t.floating, yIsBool: t.bool, yName: source.yName)
        case .idx:
            let imagesURL = try FileDataset.url(source.images, key: "images", kind: "idx")
            let labelsURL = try FileDataset.url(source.labels, key: "labels", kind: "idx")
            let images = try IDX.ImageFile(imagesURL)
            let labels = try IDX.readLabels(labelsURL, classCount: 256)
            guard labels.count == images.count else {
                throw DatasetError(.corruptFile, "IDX file \(labelsURL.path) has \(grouped(labels.count)) labels but \(imagesURL.lastPathComponent) has \(grouped(images.count)) images.")
            }
            let width = images.rowBytes
            let storage = FloatStorage(zeroedCount: images.count * width)
            try images.readRows { row in storage.base + row * width }
            return Arrays(name: imagesURL.lastPathComponent, x: storage, rows: images.count, width: width,
                          imageLayout: ImageLayout(height: images.height, width: images.width, channels: 1),
                          y: labels.map(Double.init), targetColumns: 1, yFloatingPoint: false, yIsBool: false, yName: "label")
        default:
            preconditionFailure("not an array format: \(request.kind)")
        }
    }

    /// Label texts per distinct value, and each row's code into them.
    static func labelTexts(_ a: Arrays) -> (texts: [String], codes: [Int32]) {
        var index: [Double: Int32] = [:]
        var texts: [String] = []
        let codes: [Int32] = a.y.map { v in
            if let c = index[v] { return c }
            let c = Int32(texts.count)
            index[v] = c
            if a.yIsBool { texts.append(v != 0 ? "True" : "False") }
            else if a.yFloatingPoint { texts.append("\(v)") }
            else { texts.append(String(Int64(v))) }
            return c
        }
        return (texts, codes)
    }

    /// Reads, splits and encodes an array dataset.
    static func load(_ request: DatasetRequest, source: FileSource, log: ((String) -> Void)?) throws -> DatasetSplits {
        let a = try read(request, source: source, testFile: false)
        let testArrays = request.kind == .npz && source.testPath != nil ? try read(request, source: source, testFile: true) : nil
        if let t = testArrays, t.width != a.width {
            throw DatasetError(.corruptFile, "\(t.name) has \(t.width) features per row but \(a.name) has \(a.width).")
        }
        let file = a.name
        var classes: [Int32]?
        var classNames: [String] = []
        if a.targetColumns == 1 && source.task != .regression && !(a.yFloatingPoint && source.task == nil) {
            let (texts, codes) = labelTexts(a)
            let enc = try LabelEncoding.make(texts: texts, codes: codes, task: .classification, labelName: a.yName,
                                             file: file, lineOf: { _ in nil })
            classes = enc.classes
            classNames = enc.classNames
        } else if source.task == .classification {
            throw DatasetError(.invalidParameter, "\(file): task classification needs one label per row, but \(a.yName) has \(a.targetColumns) columns.")
        }
        let plan = try SplitPlan.make(rows: a.rows, classes: classes, request: request, source: source,
                                      testFromFile: testArrays != nil, file: file)
        if let classes {
            try TableEncoder.requireTrainingClasses(plan: plan, classes: classes, names: classNames, file: file, lineOf: { _ in nil })
        }
        let T = a.targetColumns
        var means = [Double](repeating: 0, count: T), deviations = [Double](repeating: 1, count: T)
        if classes == nil {
            for c in 0..<T { (means[c], deviations[c]) = TableEncoder.meanAndDeviation(plan.train.map { a.y[$0 * T + c] }) }
        }
        let target: InputSchema.Target = classes != nil
            ? .classes(names: classNames)
            : .regression(names: T == 1 ? [a.yName] : (0..<T).map { "\(a.yName)[\($0)]" }, mean: means, deviation: deviations)
        let schema = InputSchema(columns: nil, arrayFeatureCount: a.width, target: target, imageLayout: a.imageLayout)

        let storages = RowArrangement.arrange(a.x, width: a.width, rows: a.rows, plan: plan)
        func matrix(_ rows: [Int], _ storage: FloatStorage, y: [Double], labelsFrom: [Int32]?) -> LabeledMatrix {
            var m = LabeledMatrix(rows: rows.count, columns: a.width, features: storage,
                                  labels: labelsFrom.map { c in rows.map { c[$0] } } ?? [Int32](repeating: 0, count: rows.count))
            if labelsFrom == nil && classes == nil {
                m.targets = rows.flatMap { r in (0..<T).map { Float((y[r * T + $0] - means[$0]) / deviations[$0]) } }
                m.targetCount = T
            }
            return m
        }
        var test = matrix(plan.test, storages.test, y: a.y, labelsFrom: classes)
        if let t = testArrays {
            let all = Array(0..<t.rows)
            if classes != nil {
                let index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, Int32($0)) })
                let (texts, codes) = labelTexts(t)
                let names = texts.map { text -> String in
                    if let v = Double(text), v.rounded() == v, abs(v) < 1e15, Int64(classNames[0]) != nil { return String(Int64(v)) }
                    return text
                }
                if let bad = names.first(where: { index[$0] == nil }) {
                    throw DatasetError(.notEnoughRows, "\(t.name): class '\(bad)' of the test file is not among the training classes (\(classNames.prefix(10).joined(separator: ", "))).")
                }
                test = matrix(all, t.x, y: t.y, labelsFrom: codes.map { index[names[Int($0)]]! })
            } else {
                guard t.targetColumns == T else {
                    throw DatasetError(.corruptFile, "\(t.name) has \(t.targetColumns) target columns but \(a.name) has \(T).")
                }
                test = matrix(all, t.x, y: t.y, labelsFrom: nil)
            }
        }
        var splits = DatasetSplits(name: file, classCount: classes == nil ? T : classNames.count,
                                   train: matrix(plan.train, storages.train, y: a.y, labelsFrom: classes),
                                   validation: matrix(plan.validation, storages.validation, y: a.y, labelsFrom: classes),
                                   test: test, imageLayout: a.imageLayout)
        splits.schema = schema
        let task = classes == nil ? "regression on \(T) target\(T == 1 ? "" : "s")" : "\(classNames.count) classes"
        splits.summary = "\(file): \(grouped(a.rows)) rows × \(a.width) features, \(task)"
        log?("Dataset \(splits.summary!).")
        return splits
    }
}

/// Reorders a row-major matrix in place — training rows first, then validation, then test,
/// then rows no split uses — and hands out the three splits as views of the one allocation,
/// so that splitting a large array never holds a second copy of it.
enum RowArrangement {
    static func arrange(_ storage: FloatStorage, width w: Int, rows n: Int,
                        plan: SplitPlan) -> (train: FloatStorage, validation: FloatStorage, test: FloatStorage) {
        let base = storage.base
        var used = [Bool](repeating: false, count: n)
        var perm: [Int] = []
        perm.reserveCapacity(n)
        for r in plan.train + plan.validation + plan.test { perm.append(r); used[r] = true }
        for r in 0..<n where !used[r] { perm.append(r) }
        // Follow each cycle of the permutation (perm[p] = the row that moves to p) with one
        // row of scratch.
        var done = [Bool](repeating: false, count: n)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(w, 1))
        defer { scratch.deallocate() }
        for p in 0..<n where !done[p] {
            done[p] = true
            if perm[p] == p { continue }
            scratch.update(from: base + p * w, count: w)
            var q = p
            while true {
                let s = perm[q]
                if s == p { (base + q * w).update(from: scratch, count: w); break }
                (base + q * w).update(from: base + s * w, count: w)
                done[s] = true
                q = s
            }
        }
        func slice(_ start: Int, _ rows: Int) -> FloatStorage {
            FloatStorage(borrowing: base + start * w, count: rows * w, release: { withExtendedLifetime(storage) {} })
        }
        let (a, b, c) = (plan.train.count, plan.validation.count, plan.test.count)
        return (slice(0, a), slice(a, b), slice(a + b, c))
    }
}
