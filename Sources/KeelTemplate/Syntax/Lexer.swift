import KeelBase

/// Splits a template into data and tag tokens, applying Jinja2's whitespace control: `-` strips the
/// whitespace beside a tag, `+` opts out of lstrip_blocks / trim_blocks, trim_blocks drops the first
/// newline after a block or comment tag, lstrip_blocks drops indentation before one.
struct Lexer {
    let bytes: [UInt8]
    let options: TemplateOptions
    let lineStarts: [Int]
    var index = 0
    var tokens: [Token] = []
    /// Set after a `-%}` / `-}}` / `-#}`: the next data loses its leading whitespace.
    var stripNextLeading = false
    /// Set after a plain block or comment end when trim_blocks is on: the next data loses one newline.
    var trimNextNewline = false

    init(_ source: String, options: TemplateOptions) {
        var text = source.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        if !options.keepTrailingNewline, text.hasSuffix("\n") { text.removeLast() }
        bytes = Array(text.utf8)
        self.options = options
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == 10 { starts.append(i + 1) }
        lineStarts = starts
    }

    func position(_ offset: Int) -> TemplatePosition {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        // Columns count characters, as editors do, not UTF-8 bytes.
        var column = 1
        for i in lineStarts[lo]..<min(offset, bytes.count) where bytes[i] & 0xC0 != 0x80 { column += 1 }
        return TemplatePosition(line: lo + 1, column: column)
    }

    func error(_ message: String, at offset: Int, expected: String? = nil, found: String? = nil) -> TemplateSyntaxError {
        TemplateSyntaxError(message: message, position: position(offset), expected: expected, found: found)
    }

    func peek(_ offset: Int = 0) -> UInt8? {
        let i = index + offset
        return i < bytes.count ? bytes[i] : nil
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 || b == 12 || b == 11 }

    mutating func tokenize() throws -> [Token] {
        while index < bytes.count {
            let textStart = index
            var tagStart = index
            var tagKind: UInt8 = 0
            while tagStart + 1 < bytes.count {
                if bytes[tagStart] == UInt8(ascii: "{") {
                    let n = bytes[tagStart + 1]
                    if n == UInt8(ascii: "{") || n == UInt8(ascii: "%") || n == UInt8(ascii: "#") { tagKind = n; break }
                }
                tagStart += 1
            }
            if tagKind == 0 { tagStart = bytes.count }
            var text = Array(bytes[textStart..<tagStart])
            let marker: UInt8? = tagKind != 0 && tagStart + 2 < bytes.count ? bytes[tagStart + 2] : nil
            if marker == UInt8(ascii: "-") {
                while let last = text.last, Lexer.isSpace(last) { text.removeLast() }
            } else if options.lstripBlocks, marker != UInt8(ascii: "+"),
                      tagKind == UInt8(ascii: "%") || tagKind == UInt8(ascii: "#") {
                var k = text.count
                while k > 0, text[k - 1] == 32 || text[k - 1] == 9 { k -= 1 }
                // Only indentation at the start of a line is stripped, not spaces after an earlier tag.
                let atLineStart = k == 0 ? (textStart == 0 || bytes[textStart - 1] == 10) : text[k - 1] == 10
                if atLineStart { text.removeSubrange(k...) }
            }
            emitData(text, at: textStart)
            if tagKind == 0 { index = bytes.count; break }
            index = tagStart + 2
            let markerSkip = (marker == UInt8(ascii: "-") || marker == UInt8(ascii: "+")) ? 1 : 0
            index += markerSkip
            switch tagKind {
            case UInt8(ascii: "#"): try lexComment(openedAt: tagStart)
            case UInt8(ascii: "{"):
                tokens.append(Token(kind: .variableBegin, position: position(tagStart)))
                try lexExpression(closer: UInt8(ascii: "}"), openedAt: tagStart)
            default:
                if try lexRaw(openedAt: tagStart) { continue }
                tokens.append(Token(kind: .blockBegin, position: position(tagStart)))
                try lexExpression(closer: UInt8(ascii: "%"), openedAt: tagStart)
            }
        }
        tokens.append(Token(kind: .end, position: position(bytes.count)))
        return tokens
    }

    mutating func emitData(_ raw: [UInt8], at offset: Int) {
        var text = raw[...]
        if stripNextLeading {
            while let f = text.first, Lexer.isSpace(f) { text.removeFirst() }
        } else if trimNextNewline, text.first == 10 {
            text.removeFirst()
        }
        stripNextLeading = false
        trimNextNewline = false
        if !text.isEmpty { tokens.append(Token(kind: .data(String(decoding: text, as: UTF8.self)), position: position(offset))) }
    }

    /// Consumes a tag's closing delimiter (`}}` / `%}` / `#}` with an optional `-` or `+` before it).
    mutating func closeTag(_ closer: UInt8, isBlock: Bool) -> Bool {
        var k = index
        var marker: UInt8? = nil
        if k < bytes.count, bytes[k] == UInt8(ascii: "-") || bytes[k] == UInt8(ascii: "+") { marker = bytes[k]; k += 1 }
        guard k + 1 < bytes.count, bytes[k] == closer, bytes[k + 1] == UInt8(ascii: "}") else { return false }
        if marker == UInt8(ascii: "+") && !isBlock { return false }
        index = k + 2
        if marker == UInt8(ascii: "-") { stripNextLeading = true }
        else if marker == nil, isBlock, options.trimBlocks { trimNextNewline = true }
        return true
    }

    mutating func lexComment(openedAt start: Int) throws {
        while index < bytes.count {
            if closeTag(UInt8(ascii: "#"), isBlock: true) { return }
            index += 1
        }
        throw error("unexpected end of template: the comment is never closed", at: start, expected: "'#}'", found: "end of template")
    }

    /// `{% raw %}…{% endraw %}` keeps its body verbatim; returns false when the tag is not `raw`.
    mutating func lexRaw(openedAt start: Int) throws -> Bool {
        var k = index
        while k < bytes.count, Lexer.isSpace(bytes[k]) { k += 1 }
        guard k + 3 <= bytes.count, bytes[k..<k + 3].elementsEqual("raw".utf8) else { return false }
        k += 3
        if k < bytes.count, Lexer.isIdent(bytes[k]) { return false }
        while k < bytes.count, Lexer.isSpace(bytes[k]) { k += 1 }
        let saved = index
        index = k
        guard closeTag(UInt8(ascii: "%"), isBlock: true) else { index = saved; return false }
        // Find `{%[-+]? endraw [-+]?%}`.
        var search = index
        while search + 1 < bytes.count {
            if bytes[search] == UInt8(ascii: "{"), bytes[search + 1] == UInt8(ascii: "%") {
                var m = search + 2
                let marker = m < bytes.count ? bytes[m] : 0
                if marker == UInt8(ascii: "-") || marker == UInt8(ascii: "+") { m += 1 }
                while m < bytes.count, Lexer.isSpace(bytes[m]) { m += 1 }
                if m + 6 <= bytes.count, bytes[m..<m + 6].elementsEqual("endraw".utf8) {
                    m += 6
                    while m < bytes.count, Lexer.isSpace(bytes[m]) { m += 1 }
                    var body = Array(bytes[index..<search])
                    if stripNextLeading { while let f = body.first, Lexer.isSpace(f) { body.removeFirst() } }
                    else if trimNextNewline, body.first == 10 { body.removeFirst() }
                    stripNextLeading = false; trimNextNewline = false
                    if marker == UInt8(ascii: "-") { while let l = body.last, Lexer.isSpace(l) { body.removeLast() } }
                    else if options.lstripBlocks, marker != UInt8(ascii: "+") {
                        var e = body.count
                        while e > 0, body[e - 1] == 32 || body[e - 1] == 9 { e -= 1 }
                        if e == 0 || body[e - 1] == 10 { body.removeSubrange(e...) }
                    }
                    if !body.isEmpty { tokens.append(Token(kind: .rawData(String(decoding: body, as: UTF8.self)), position: position(index))) }
                    index = m
                    guard closeTag(UInt8(ascii: "%"), isBlock: true) else {
                        throw error("malformed endraw tag", at: search, expected: "'%}'", found: "'\(Character(Unicode.Scalar(bytes[min(m, bytes.count - 1)])))'")
                    }
                    return true
                }
            }
            search += 1
        }
        throw error("unexpected end of template: 'raw' is never closed", at: start, expected: "'endraw'", found: "end of template")
    }

    static func isIdent(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b == 0x5f || b >= 0x80
    }

    static let twoCharOps: Set<String> = ["**", "//", "==", "!=", "<=", ">="]
    static let oneCharOps: Set<UInt8> = Set("+-*/%~<>=.,:|()[]{}".utf8)

    mutating func lexExpression(closer: UInt8, openedAt start: Int) throws {
        var depth: [UInt8] = []
        while true {
            while index < bytes.count, Lexer.isSpace(bytes[index]) { index += 1 }
            guard index < bytes.count else {
                throw error("unexpected end of template: the tag is never closed", at: start,
                            expected: closer == UInt8(ascii: "}") ? "'}}'" : "'%}'", found: "end of template")
            }
            let tokenStart = index
            if depth.isEmpty, closeTag(closer, isBlock: closer == UInt8(ascii: "%")) {
                tokens.append(Token(kind: closer == UInt8(ascii: "}") ? .variableEnd : .blockEnd, position: position(tokenStart)))
                return
            }
            // The other kind of closer inside a tag is a mistake we can name precisely.
            if depth.isEmpty, index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "}"),
               bytes[index] == UInt8(ascii: "%") || (bytes[index] == UInt8(ascii: "}") && closer == UInt8(ascii: "%")) {
                let found = String(decoding: bytes[index..<index + 2], as: UTF8.self)
                throw error("unexpected '\(found)'", at: index, expected: closer == UInt8(ascii: "}") ? "'}}'" : "'%}'", found: "'\(found)'")
            }
            let b = bytes[index]
            let pos = position(index)
            if b == UInt8(ascii: "'") || b == UInt8(ascii: "\"") {
                // Ansible keeps backslashes of string literals in {{ }} as written when templating YAML strings.
                let verbatim = options.escapeBackslashes && closer == UInt8(ascii: "}")
                tokens.append(Token(kind: .string(try lexString(quote: b, verbatim: verbatim)), position: pos))
            } else if b >= 0x30 && b <= 0x39 {
                tokens.append(Token(kind: lexNumber(), position: pos))
            } else if Lexer.isIdent(b) {
                var k = index
                while k < bytes.count, Lexer.isIdent(bytes[k]) { k += 1 }
                tokens.append(Token(kind: .name(String(decoding: bytes[index..<k], as: UTF8.self)), position: pos))
                index = k
            } else {
                if index + 1 < bytes.count {
                    let two = String(decoding: bytes[index..<index + 2], as: UTF8.self)
                    if Lexer.twoCharOps.contains(two) {
                        tokens.append(Token(kind: .op(two), position: pos)); index += 2; continue
                    }
                }
                guard Lexer.oneCharOps.contains(b) else {
                    throw error("unexpected character '\(Character(Unicode.Scalar(b)))'", at: index, expected: "an expression", found: "'\(Character(Unicode.Scalar(b)))'")
                }
                if b == UInt8(ascii: "(") || b == UInt8(ascii: "[") || b == UInt8(ascii: "{") { depth.append(b) }
                if b == UInt8(ascii: ")") || b == UInt8(ascii: "]") || b == UInt8(ascii: "}") {
                    let open: UInt8 = b == UInt8(ascii: ")") ? UInt8(ascii: "(") : b == UInt8(ascii: "]") ? UInt8(ascii: "[") : UInt8(ascii: "{")
                    guard depth.last == open else {
                        throw error("unexpected '\(Character(Unicode.Scalar(b)))'", at: index, expected: depth.last.map { "closing for '\(Character(Unicode.Scalar($0)))'" } ?? "an expression", found: "'\(Character(Unicode.Scalar(b)))'")
                    }
                    depth.removeLast()
                }
                tokens.append(Token(kind: .op(String(Character(Unicode.Scalar(b)))), position: pos))
                index += 1
            }
        }
    }

    mutating func lexNumber() -> TokenKind {
        let afterDot: Bool = { if case .op(".")? = tokens.last?.kind { return true }; return false }()
        var k = index
        var isFloat = false
        func digits() { while k < bytes.count, (bytes[k] >= 0x30 && bytes[k] <= 0x39) || bytes[k] == 0x5f { k += 1 } }
        digits()
        if !afterDot, k + 1 < bytes.count, bytes[k] == UInt8(ascii: "."), bytes[k + 1] >= 0x30, bytes[k + 1] <= 0x39 {
            isFloat = true; k += 1; digits()
        }
        if !afterDot, k < bytes.count, bytes[k] == UInt8(ascii: "e") || bytes[k] == UInt8(ascii: "E") {
            var m = k + 1
            if m < bytes.count, bytes[m] == UInt8(ascii: "+") || bytes[m] == UInt8(ascii: "-") { m += 1 }
            if m < bytes.count, bytes[m] >= 0x30, bytes[m] <= 0x39 { isFloat = true; k = m; digits() }
        }
        let text = String(decoding: bytes[index..<k], as: UTF8.self).replacingOccurrences(of: "_", with: "")
        index = k
        if isFloat { return .float(Double(text) ?? 0) }
        return Int(text).map { .integer($0) } ?? .float(Double(text) ?? 0)
    }

    mutating func lexString(quote: UInt8, verbatim: Bool = false) throws -> String {
        let start = index
        index += 1
        var out: [UInt8] = []
        while index < bytes.count {
            let c = bytes[index]
            if c == quote { index += 1; return String(decoding: out, as: UTF8.self) }
            if verbatim, c == UInt8(ascii: "\\"), index + 1 < bytes.count {
                out.append(c); out.append(bytes[index + 1]); index += 2
                continue
            }
            if c == UInt8(ascii: "\\"), index + 1 < bytes.count {
                let e = bytes[index + 1]
                index += 2
                switch e {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "0"): out.append(0)
                case UInt8(ascii: "a"): out.append(7)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "v"): out.append(11)
                case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): out.append(e)
                case 10: break
                case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let n = e == UInt8(ascii: "x") ? 2 : e == UInt8(ascii: "u") ? 4 : 8
                    if index + n <= bytes.count, let v = UInt32(String(decoding: bytes[index..<index + n], as: UTF8.self), radix: 16),
                       let scalar = Unicode.Scalar(v) {
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                        index += n
                    } else {
                        out.append(UInt8(ascii: "\\")); out.append(e)
                    }
                default: out.append(UInt8(ascii: "\\")); out.append(e)
                }
                continue
            }
            out.append(c)
            index += 1
        }
        throw error("unexpected end of string", at: start, expected: "a closing \(quote == 39 ? "'" : "\"")", found: "end of template")
    }
}

/// A syntax error before it is anchored to the YAML file: the engine shifts `position` by the origin.
struct TemplateSyntaxError: Error {
    var message: String
    var position: TemplatePosition
    var expected: String?
    var found: String?
}
