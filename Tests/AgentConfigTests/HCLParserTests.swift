import AgentConfig
import XCTest

/// The HCL subset: what it reads, and the exact message for each thing it refuses.
final class HCLParserTests: XCTestCase {
    func attributes(_ text: String) -> [HCLAttribute] {
        let (attributes, problems) = HCLParser.parse(text, path: "t.hcl")
        XCTAssertEqual(problems.map(\.description), [])
        return attributes
    }

    func testValuesAndPositions() {
        let a = attributes("a = \"x\"\n  b=12\nc = -3.5e2\nd = true\ne = false\nf = [1, \"two\", [false]]\n")
        XCTAssertEqual(a.map(\.name), ["a", "b", "c", "d", "e", "f"])
        XCTAssertEqual(a[0].value?.value, .string("x"))
        XCTAssertEqual(a[1].position, SourcePosition(line: 2, column: 3))
        XCTAssertEqual(a[1].value?.position, SourcePosition(line: 2, column: 5))
        XCTAssertEqual(a[1].value?.value, .number("12"))
        XCTAssertEqual(a[2].value?.value, .number("-3.5e2"))
        XCTAssertEqual(a[3].value?.value, .bool(true))
        XCTAssertEqual(a[4].value?.value, .bool(false))
        guard case .list(let items)? = a[5].value?.value else { return XCTFail("not a list") }
        XCTAssertEqual(
            items.map(\.value),
            [
                .number("1"), .string("two"),
                .list([HCLExpression(value: .bool(false), position: SourcePosition(line: 6, column: 17))]),
            ])
        XCTAssertEqual(items[1].position, SourcePosition(line: 6, column: 9))
    }

    func testMultiLineListsWithTrailingCommaAndComments() {
        let a = attributes(
            """
            servers = [ # first
              "a", // second
              /* third */ "b",

            ]
            empty = [
            ]
            """)
        XCTAssertEqual(
            a[0].value?.value,
            .list([
                HCLExpression(value: .string("a"), position: SourcePosition(line: 2, column: 3)),
                HCLExpression(value: .string("b"), position: SourcePosition(line: 3, column: 15)),
            ]))
        XCTAssertEqual(a[1].value?.value, .list([]))
    }

    func testEscapes() {
        let a = attributes(#"s = "q\" b\\ n\n r\r t\t u\u00e9 U\U0001F600 $${x} %%{y} $ % {}""#)
        XCTAssertEqual(a[0].value?.value, .string("q\" b\\ n\n r\r t\t u\u{e9} U\u{1F600} ${x} %{y} $ % {}"))
    }

    func testColumnsCountCharactersNotBytes() {
        XCTAssertEqual(
            diagnostics("log_file = \"/ü/é/😀\" x\n"),
            ["t.hcl:1:21: expected the end of the line after the value of log_file, found \"x\""])
        XCTAssertEqual(
            diagnostics("\tlog_level = 1\n"),
            ["t.hcl:1:14: log_level must be a string, not a number; write it in quotes: \"1\""])
    }

    func testCommentsAndBlankLinesOnly() {
        XCTAssertEqual(attributes("\n\n# one\n// two\n/* three\n */\n   \n").count, 0)
        XCTAssertEqual(attributes("a = 1 # trailing\nb = 2 // trailing\nc = 3 /* trailing */\n").count, 3)
        XCTAssertEqual(attributes("a = 1").count, 1, "no newline at the end")
    }

    func testStringErrors() {
        assertRejected(
            "log_file = \"/a\\\n", ["t.hcl:1:12: unterminated string: a string must end with \" on the same line"])
        assertRejected(
            "log_file = \"/tmp\\\"\n",
            [
                "t.hcl:1:12: unterminated string: a string must end with \" on the same line (\\\" is an escaped quote; write \\\\ for a backslash)"
            ])
        assertRejected("log_file = \"/\\u12\"\n", ["t.hcl:1:14: invalid escape: \\u needs 4 hex digits"])
        assertRejected(
            "log_file = \"/\\UFFFFFFFF\"\n", ["t.hcl:1:14: invalid escape: U+FFFFFFFF is not a Unicode character"])
        assertRejected("log_file = \"/\\uD800\"\n", ["t.hcl:1:14: invalid escape: U+D800 is not a Unicode character"])
        assertRejected(
            "log_file = \"/a\u{7}b\"\n", ["t.hcl:1:15: control character U+0007 in a string; use an escape such as \\n"]
        )
        assertRejected(
            "log_file = \"/%{if x}\"\n",
            ["t.hcl:1:14: template directives (\"%{\") are not supported; write \"%%{\" for a literal \"%{\""])
        assertRejected(
            "log_file = \"/\\é\"\n", ["t.hcl:1:14: invalid escape \"\\é\" in a string (write \\\\ for a backslash)"])
    }

    func testUnsupportedSyntax() {
        assertRejected(
            "log_level = \"a\" + \"b\"\n",
            ["t.hcl:1:17: expected the end of the line after the value of log_level, found \"+\""])
        assertRejected("log_to_stdout = !true\n", ["t.hcl:1:17: unquoted value !true; write it as a string: \"!true\""])
        assertRejected("log_level = (\"info\")\n", ["t.hcl:1:13: expected a value after \"log_level =\", found \"(\""])
        assertRejected("= \"info\"\n", ["t.hcl:1:1: expected a key name, found \"=\""])
        assertRejected("log_level\n", ["t.hcl:1:10: expected \"=\" and a value after log_level"])
        assertRejected(
            "log_level = \"a\"; log_to_stdout = true\n",
            ["t.hcl:1:16: expected the end of the line after the value of log_level, found \";\""])
        assertRejected(
            "log_file = [\"a\" \"b\"]\n", ["t.hcl:1:17: expected \",\" or \"]\" in the list, found a string"])
        assertRejected("log_file = [\"a\",,]\n", ["t.hcl:1:17: expected a value after \"log_file =\", found \",\""])
        assertRejected("log_to_stdout = true\n\u{1}\n", ["t.hcl:2:1: unexpected control character U+0001"])
        assertRejected(
            "log_file = " + String(repeating: "[", count: 20) + "\nlog_level = 1\n",
            [
                "t.hcl:1:27: unclosed list: \"[\" has no \"]\"",
                "t.hcl:1:28: lists nested more than 16 deep",
                "t.hcl:2:13: log_level must be a string, not a number; write it in quotes: \"1\"",
            ])
        assertRejected(
            "log_level = <<-EOT\n  info\n  EOT\nlog_to_stdout = 1\n",
            [
                "t.hcl:1:13: heredoc strings (\"<<\") are not supported; use a quoted string with \\n escapes",
                "t.hcl:4:17: log_to_stdout must be true or false, not a number",
            ])
        assertRejected(
            "block \"a\" \"b\" {\n  x = 1\n  inner {\n  }\n}\nlog_level = 1\n",
            [
                "t.hcl:1:1: block { ... } is a block; this file takes only \"key = value\" lines",
                "t.hcl:6:13: log_level must be a string, not a number; write it in quotes: \"1\"",
            ])
    }

    func testRecoveryFindsEveryProblem() {
        // One pass reports all of them, sorted by position, and reads the good lines between.
        let text = """
            log_level = "info
            servers = [1,
              x,
              2
            log_to_stdout = maybe
            dns_cache_size = 5
            dns_cache_size = 6
            tls_insecure = "yes"
            """
        XCTAssertEqual(
            diagnostics(text),
            [
                "t.hcl:1:13: unterminated string: a string must end with \" on the same line",
                "t.hcl:2:1: unknown key \"servers\"",
                "t.hcl:2:11: unclosed list: \"[\" has no \"]\"",
                "t.hcl:3:3: x is not a value; write it as a string: \"x\"",
                "t.hcl:5:17: maybe is not a value; write it as a string: \"maybe\"",
                "t.hcl:7:1: duplicate key \"dns_cache_size\": first set at line 6, column 1",
                "t.hcl:8:16: tls_insecure must be true or false, not a string",
            ])
    }

    func testDuplicateKeyWithABadValueIsStillADuplicate() {
        XCTAssertEqual(
            diagnostics("log_level = nope\nlog_level = \"info\"\n"),
            [
                "t.hcl:1:13: nope is not a value; write it as a string: \"nope\"",
                "t.hcl:2:1: duplicate key \"log_level\": first set at line 1, column 1",
            ])
    }

    func testTooManyProblemsAreCut() {
        let text = String(repeating: "x = 1\n", count: 150)
        let lines = diagnostics(text)
        XCTAssertEqual(lines.count, 101)
        XCTAssertEqual(lines[0], "t.hcl:1:1: unknown key \"x\"")
        XCTAssertEqual(lines[99], "t.hcl:100:1: unknown key \"x\"")
        XCTAssertEqual(lines[100], "t.hcl: 150 problems; only the first 100 are shown")
    }

    func testStrayCloserInsideAListIsSkipped() {
        // Found by fuzz-hcl (fuzz/corpus/hcl/oom-stray-brace-in-list): recovery inside a list stopped on
        // a stray "}" or ")" without consuming it, so the list loop reported the same token forever and
        // the parser grew without bound (the helper hung at start, or on SIGHUP, on such a file).
        for closer in ["}", ")"] {
            let text = "override_upstream_dns_servers = [\n  \"10.0.0.1\",\n  \(closer) \"10.0.0.2\"]\nlog_level = 5\n"
            XCTAssertEqual(
                diagnostics(text),
                [
                    "t.hcl:3:3: expected a value after \"override_upstream_dns_servers =\", found \"\(closer)\"",
                    "t.hcl:4:13: log_level must be a string, not a number; write it in quotes: \"5\"",
                ], closer)
        }
    }

    func testHostileInputIsRejectedNotCrashed() {
        // Deep nesting, long lines, lone brackets and quotes: each gives diagnostics, never a crash.
        for text in [
            String(repeating: "[", count: 10_000), "a = " + String(repeating: "[", count: 10_000),
            String(repeating: "]", count: 1000), "\"", "a = \"", "/*", "<<", "a = <<X",
            String(repeating: "a", count: 100_000),
            "a = " + String(repeating: "9", count: 10_000), "\u{0}", "a = [\n", "{", "}",
        ] {
            XCTAssertFalse(diagnostics(text).isEmpty, String(text.prefix(20)))
        }
    }
}
