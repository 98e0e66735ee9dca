/// A flame graph as one self-contained SVG file: each frame a box as wide
/// as its share of the samples, callers below callees, siblings in name
/// order. In a browser: a frame's name and count on hover, click to zoom
/// into it, Reset Zoom, and Search (a regular expression) to mark matching
/// frames with the share of samples they cover.
public struct FlameGraphSVG {
    public var title = "Flame Graph"
    /// Image width in pixels.
    public var width = 1200
    /// Frames narrower than this many pixels are left out (with their callees).
    public var minimumWidth = 0.1
    static let frameHeight = 16, padding = 10, top = 44, bottom = 34

    public init() {}

    public func render(_ stacks: FoldedStacks) -> String {
        let total = max(stacks.root.total, 1)
        let height = (stacks.depth + 1) * Self.frameHeight + Self.top + Self.bottom
        let scale = Double(width - 2 * Self.padding) / Double(total)
        var out = """
            <?xml version="1.0" standalone="no"?>
            <svg version="1.1" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" \
            xmlns="http://www.w3.org/2000/svg" data-total="\(total)" data-width="\(width)">
            <style>
            text { font-family: Verdana, sans-serif; font-size: 12px; fill: #000; }
            #title { font-size: 17px; text-anchor: middle; }
            .button { cursor: pointer; fill: #333; }
            .button:hover { fill: #a00; }
            g.frame { cursor: pointer; }
            g.frame:hover rect { stroke: #000; stroke-width: 0.5; }
            g.frame text { pointer-events: none; }
            g.ancestor { opacity: 0.5; }
            </style>
            <rect x="0" y="0" width="\(width)" height="\(height)" fill="#f8f8f0"/>
            <text id="title" x="\(width / 2)" y="24">\(escaped(title))</text>
            <text id="reset" class="button" x="\(Self.padding)" y="24" visibility="hidden">Reset Zoom</text>
            <text id="search" class="button" x="\(width - Self.padding)" y="24" text-anchor="end">Search</text>
            <text id="details" x="\(Self.padding)" y="\(height - 12)"> </text>
            <text id="matched" x="\(width - Self.padding)" y="\(height - 12)" text-anchor="end"> </text>
            <g id="frames">

            """
        // Depth-first from the root; each frame's first sample, its count and depth.
        var pending: [(frame: FoldedStacks.Frame, start: UInt64, depth: Int)] = [(stacks.root, 0, 0)]
        while let (frame, start, depth) = pending.popLast() {
            let w = Double(frame.total) * scale
            guard w >= minimumWidth else { continue }
            let x = Double(Self.padding) + Double(start) * scale
            let y = height - Self.bottom - (depth + 1) * Self.frameHeight
            let share = Double(frame.total) * 100 / Double(total)
            let tip = "\(frame.name) (\(frame.total) sample\(frame.total == 1 ? "" : "s"), \(Self.decimal(share, 2))%)"
            out += "<g class=\"frame\" data-name=\"\(escaped(frame.name))\" data-start=\"\(start)\" data-count=\"\(frame.total)\" data-depth=\"\(depth)\">"
            out += "<title>\(escaped(tip))</title>"
            out += "<rect x=\"\(Self.decimal(x, 1))\" y=\"\(y)\" width=\"\(Self.decimal(w, 1))\" height=\"\(Self.frameHeight - 1)\" rx=\"2\" fill=\"\(Self.color(frame.name))\"/>"
            out += "<text x=\"\(Self.decimal(x + 3, 1))\" y=\"\(y + Self.frameHeight - 4)\">\(escaped(Self.label(frame.name, fitting: w)))</text></g>\n"
            var childStart = start
            var children: [(FoldedStacks.Frame, UInt64, Int)] = []
            for child in frame.sortedChildren {
                children.append((child, childStart, depth + 1))
                childStart += child.total
            }
            pending += children.reversed()
        }
        out += "</g>\n<script type=\"text/ecmascript\"><![CDATA[\n" + Self.script + "]]></script>\n</svg>\n"
        return out
    }

    /// As much of the name as fits in `width` pixels (about 7 per character at 12px).
    static func label(_ name: String, fitting width: Double) -> String {
        let fits = Int((width - 6) / 7)
        if fits < 3 { return "" }
        return name.count <= fits ? name : String(name.prefix(fits - 2)) + ".."
    }

    /// Warm colors, the same for the same name in every graph.
    static func color(_ name: String) -> String {
        var hash: UInt64 = 0xcbf29ce484222325
        for b in name.utf8 { hash = (hash ^ UInt64(b)) &* 0x100000001b3 }
        func part(_ shift: UInt64) -> Double { Double((hash >> shift) & 0xff) / 255 }
        return "rgb(\(205 + Int(50 * part(0))),\(Int(200 * part(8)) + 30),\(Int(55 * part(16))))"
    }

    static func decimal(_ v: Double, _ places: Int) -> String {
        var factor = 1.0
        for _ in 0..<places { factor *= 10 }
        let n = Int((v * factor).rounded())
        let whole = n / Int(factor), fraction = String(abs(n % Int(factor)))
        return "\(n < 0 && whole == 0 ? "-" : "")\(whole).\(String(repeating: "0", count: places - fraction.count))\(fraction)"
    }

    func escaped(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // XML 1.0 has no place for most control characters.
                if let a = c.asciiValue, a < 0x20 { out += " " } else { out.append(c) }
            }
        }
        return out
    }

    /// Zoom, search and details, laid out again from each frame's sample range.
    static let script = """
        (function () {
          var svg = document.documentElement;
          var total = +svg.getAttribute("data-total"), width = +svg.getAttribute("data-width"), pad = 10;
          var frames = Array.prototype.slice.call(document.querySelectorAll("g.frame"));
          var details = document.getElementById("details"), matched = document.getElementById("matched");
          var reset = document.getElementById("reset"), search = document.getElementById("search");
          function num(g, name) { return +g.getAttribute("data-" + name); }
          function fit(name, w) {
            var n = Math.floor((w - 6) / 7);
            if (n < 3) return "";
            return name.length <= n ? name : name.slice(0, n - 2) + "..";
          }
          function layout(focus) {
            var s0 = focus ? num(focus, "start") : 0, c0 = focus ? num(focus, "count") : total;
            var d0 = focus ? num(focus, "depth") : 0, k = (width - 2 * pad) / c0;
            frames.forEach(function (g) {
              var s = num(g, "start"), c = num(g, "count"), d = num(g, "depth");
              var rect = g.querySelector("rect"), text = g.querySelector("text");
              var x, w;
              if (s + c <= s0 || s >= s0 + c0) { g.style.display = "none"; return; }
              if (d < d0) { x = pad; w = width - 2 * pad; g.classList.add("ancestor"); }
              else { x = pad + (s - s0) * k; w = c * k; g.classList.remove("ancestor"); }
              if (w < 0.1) { g.style.display = "none"; return; }
              g.style.display = "";
              rect.setAttribute("x", x.toFixed(1));
              rect.setAttribute("width", w.toFixed(1));
              text.setAttribute("x", (x + 3).toFixed(1));
              text.textContent = fit(g.getAttribute("data-name"), w);
            });
            reset.setAttribute("visibility", focus ? "visible" : "hidden");
          }
          frames.forEach(function (g) {
            g.addEventListener("click", function () { layout(num(g, "depth") === 0 ? null : g); });
            g.addEventListener("mouseover", function () { details.textContent = g.querySelector("title").textContent; });
            g.addEventListener("mouseout", function () { details.textContent = " "; });
          });
          reset.addEventListener("click", function () { layout(null); });
          var searching = false;
          function mark(pattern) {
            var spans = [];
            frames.forEach(function (g) {
              var rect = g.querySelector("rect");
              if (!rect.hasAttribute("data-fill")) rect.setAttribute("data-fill", rect.getAttribute("fill"));
              var hit = pattern !== null && pattern.test(g.getAttribute("data-name"));
              rect.setAttribute("fill", hit ? "rgb(220,0,220)" : rect.getAttribute("data-fill"));
              if (hit) spans.push([num(g, "start"), num(g, "start") + num(g, "count")]);
            });
            // A frame inside another that matched is not counted twice.
            spans.sort(function (a, b) { return a[0] - b[0]; });
            var covered = 0, end = -1;
            spans.forEach(function (r) {
              if (r[1] <= end) return;
              covered += r[1] - Math.max(r[0], end);
              end = r[1];
            });
            matched.textContent = pattern === null ? " " : "Matched: " + (100 * covered / total).toFixed(1) + "%";
          }
          function toggleSearch() {
            if (searching) { mark(null); searching = false; search.textContent = "Search"; return; }
            var text = window.prompt("Search for (a regular expression):", "");
            if (!text) return;
            var pattern;
            try { pattern = new RegExp(text); } catch (e) { matched.textContent = "Not a regular expression: " + text; return; }
            mark(pattern);
            searching = true;
            search.textContent = "Reset Search";
          }
          search.addEventListener("click", toggleSearch);
          window.addEventListener("keydown", function (e) {
            if ((e.ctrlKey || e.metaKey) && e.key === "f") { e.preventDefault(); toggleSearch(); }
          });
          // file.svg#zoom=NAME or #search=REGEX opens it zoomed or searched.
          var hash = decodeURIComponent(location.hash.slice(1)), eq = hash.indexOf("=");
          if (eq > 0 && hash.slice(0, eq) === "zoom") {
            var named = frames.filter(function (g) { return g.getAttribute("data-name") === hash.slice(eq + 1); })[0];
            if (named) layout(named);
          } else if (eq > 0 && hash.slice(0, eq) === "search") {
            try { mark(new RegExp(hash.slice(eq + 1))); searching = true; search.textContent = "Reset Search"; } catch (e) {}
          }
        })();

        """
}
