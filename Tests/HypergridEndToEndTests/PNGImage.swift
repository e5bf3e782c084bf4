import CZlib
import Foundation

/// The pixels of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium's screenshots
/// are), decoded with zlib: enough to tell whether a page rendered anything.
struct PNGImage {
    let width: Int
    let height: Int
    /// 0xRRGGBB per pixel, row by row (alpha dropped).
    let pixels: [UInt32]

    struct Unsupported: Error, CustomStringConvertible { var description: String }

    init(contentsOf url: URL) throws {
        let bytes = [UInt8](try Data(contentsOf: url))
        guard bytes.count > 8, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            throw Unsupported(description: "\(url.path) is not a PNG file")
        }
        func u32(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        var offset = 8, width = 0, height = 0, channels = 0
        var compressed: [UInt8] = []
        while offset + 8 <= bytes.count {
            let length = u32(offset)
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let data = offset + 8
            guard data + length <= bytes.count else { throw Unsupported(description: "truncated \(type) chunk") }
            switch type {
            case "IHDR":
                width = u32(data); height = u32(data + 4)
                let depth = bytes[data + 8], colour = bytes[data + 9], interlace = bytes[data + 12]
                guard depth == 8, colour == 2 || colour == 6, interlace == 0 else {
                    throw Unsupported(description: "PNG depth \(depth), colour type \(colour), interlace \(interlace)")
                }
                channels = colour == 6 ? 4 : 3
            case "IDAT": compressed += bytes[data..<(data + length)]
            default: break
            }
            offset = data + length + 4
        }
        let stride = width * channels
        var raw = [UInt8](repeating: 0, count: height * (stride + 1))
        var rawLength = uLongf(raw.count)
        let status = raw.withUnsafeMutableBufferPointer { out in
            compressed.withUnsafeBufferPointer { input in
                uncompress(out.baseAddress, &rawLength, input.baseAddress, uLong(input.count))
            }
        }
        guard status == Z_OK, Int(rawLength) == raw.count else { throw Unsupported(description: "zlib status \(status)") }
        // Undo the per-row filters (PNG spec, section 9).
        var image = [UInt8](repeating: 0, count: height * stride)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            for x in 0..<stride {
                let value = Int(raw[y * (stride + 1) + 1 + x])
                let a = x >= channels ? Int(image[y * stride + x - channels]) : 0
                let b = y > 0 ? Int(image[(y - 1) * stride + x]) : 0
                let c = x >= channels && y > 0 ? Int(image[(y - 1) * stride + x - channels]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
                default: throw Unsupported(description: "PNG filter \(filter)")
                }
                image[y * stride + x] = UInt8((value + predictor) & 0xFF)
            }
        }
        self.width = width
        self.height = height
        pixels = (0..<(width * height)).map { i in
            UInt32(image[i * channels]) << 16 | UInt32(image[i * channels + 1]) << 8 | UInt32(image[i * channels + 2])
        }
    }
}
