// Reads HCL files with HashiCorp's own parser (the Go hcl library in WebAssembly, as
// @cdktf/hcl2json ships it), for tests/readers/check.py: the module's folder as the first
// argument, then one path per line on stdin. Prints one JSON line per path: {"path", "value"}
// or {"path", "error"}. Strings come out in Terraform's JSON syntax, where `$${` and `%%{`
// stand for a literal `${` and `%{`.
const fs = require("fs");
const { parse } = require(process.argv[2]);

(async () => {
  const paths = fs.readFileSync(0, "utf8").split("\n").filter((p) => p.length > 0);
  for (const path of paths) {
    let line;
    try {
      line = { path, value: await parse(path, fs.readFileSync(path, "utf8")) };
    } catch (e) {
      line = { path, error: String(e) };
    }
    process.stdout.write(JSON.stringify(line) + "\n");
  }
})();
