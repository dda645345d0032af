#!/usr/bin/python3
"""openapi_check.py - validate one API reply against docs/openapi.yaml.

  openapi_check.py SPEC METHOD URL-PATH STATUS BODY-FILE [CONTENT-TYPE]
  openapi_check.py SPEC --schema NAME FILE
  openapi_check.py SPEC --lint
  openapi_check.py SPEC --coverage SEEN-FILE
  openapi_check.py SPEC --docs API-MD

URL-PATH is the path as requested (/api/v1/peers/nva-1, no query); it is
matched against the document's path templates. The reply must have a
documented status, and its body (JSON) must be valid against the schema
of that response, $refs resolved inside the document (JSON Schema 2020-12,
as OpenAPI 3.1 uses). Prints what is wrong and exits 1, or exits 0.
With $OPENAPI_SEEN set, each checked operation ("METHOD TEMPLATE") is
appended to that file; --coverage then lists the operations of the
document never checked (and fails if there is one). --docs lists the fields the document names that API-MD does not
mention (as `name` or "name"). --schema validates
each line of FILE (one JSON document a line, e.g. the data lines of an
event stream) against components/schemas/NAME. --lint checks that every schema of the document is a valid schema and
that every $ref resolves. Runs with Debian's python3-yaml and
python3-jsonschema (/usr/bin/python3).
"""
import json
import os
import re
import sys

import jsonschema
import yaml


def load(spec):
    with open(spec) as f:
        return yaml.safe_load(f)


def validator(doc, schema):
    resolver = jsonschema.RefResolver.from_schema(doc)
    return jsonschema.Draft202012Validator(schema, resolver=resolver)


def deref(doc, obj):
    while isinstance(obj, dict) and "$ref" in obj:
        node = doc
        for part in obj["$ref"].lstrip("#/").split("/"):
            node = node[part]
        obj = node
    return obj


def match_path(doc, url):
    best = None
    for tmpl in doc["paths"]:
        rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(tmpl)) + "$"
        if re.match(rx, url):
            n = tmpl.count("{")
            if best is None or n < best[0]:
                best = (n, tmpl)
    return best[1] if best else None


MAPS = ("reset_why",)  # objects keyed by data (peer names), not fields


def declared(doc):
    names = set()

    def walk(node):
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                names.update(props)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(doc["components"])
    walk(doc["paths"])
    return names


def undeclared(doc, inst, what):
    """Fields of a reply that no schema of the document names: each object
    may carry more fields, but every field pharosd sends is described."""
    names, extra = declared(doc), set()

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k not in names:
                    extra.add(k)
                if k not in MAPS:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(inst)
    return ["%s: field %s is not described" % (what, k) for k in sorted(extra)]


def check(doc, method, url, status, body, ctype):
    tmpl = match_path(doc, url)
    if not tmpl:
        return ["no path of the document matches %s" % url]
    op = doc["paths"][tmpl].get(method.lower())
    if not op:
        return ["%s %s is not documented" % (method, tmpl)]
    if os.environ.get("OPENAPI_SEEN"):
        with open(os.environ["OPENAPI_SEEN"], "a") as f:
            f.write("%s %s\n" % (method.upper(), tmpl))
    resp = op["responses"].get(str(status))
    if resp is None:
        return ["%s %s: status %s is not documented" % (method, tmpl, status)]
    content = deref(doc, resp).get("content", {})
    media = ctype.split(";")[0].strip() if ctype else "application/json"
    if media not in content:
        return ["%s %s %s: content type %s is not documented (%s)" %
                (method, tmpl, status, media, ", ".join(content))]
    if media != "application/json":
        return []
    try:
        inst = json.loads(body)
    except ValueError as e:
        return ["%s %s %s: not JSON: %s" % (method, tmpl, status, e)]
    v = validator(doc, content[media]["schema"])
    errs = undeclared(doc, inst, "%s %s %s" % (method, tmpl, status))
    for e in sorted(v.iter_errors(inst), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in e.absolute_path) or "(top)"
        errs.append("%s %s %s: at %s: %s" % (method, tmpl, status, where,
                                              e.message[:300]))
    return errs


def lint(doc):
    errs = []
    meta = jsonschema.Draft202012Validator
    for name, schema in doc["components"]["schemas"].items():
        try:
            meta.check_schema(schema)
        except jsonschema.SchemaError as e:
            errs.append("schema %s: %s" % (name, e.message))
    refs = set(re.findall(r'"\$ref": "(#/[^"]+)"', json.dumps(doc)))
    for r in sorted(refs):
        try:
            deref(doc, {"$ref": r})
        except (KeyError, TypeError):
            errs.append("unresolved $ref %s" % r)
    if not doc.get("openapi", "").startswith("3.1"):
        errs.append("not an OpenAPI 3.1 document")
    return errs


def coverage(doc, seen_file):
    with open(seen_file) as f:
        seen = set(line.strip() for line in f)
    errs = []
    for tmpl, item in doc["paths"].items():
        for m in ("get", "post", "put", "delete", "patch"):
            if m in item and "%s %s" % (m.upper(), tmpl) not in seen:
                errs.append("never checked: %s %s" % (m.upper(), tmpl))
    return errs


def lines_against(doc, name, path):
    if name not in doc["components"]["schemas"]:
        return ["no schema %s" % name]
    v = validator(doc, {"$ref": "#/components/schemas/" + name})
    errs, n = [], 0
    with open(path) as f:
        for no, line in enumerate(f, 1):
            if not line.strip():
                continue
            n += 1
            try:
                inst = json.loads(line)
            except ValueError as e:
                errs.append("line %d: not JSON: %s" % (no, e))
                continue
            for e in v.iter_errors(inst):
                where = "/".join(str(p) for p in e.absolute_path) or "(top)"
                errs.append("line %d: at %s: %s" % (no, where, e.message[:300]))
    if n == 0:
        errs.append("%s: no document to check" % path)
    return errs


def main(argv):
    if len(argv) == 3 and argv[2] == "--lint":
        errs = lint(load(argv[1]))
    elif len(argv) == 4 and argv[2] == "--docs":
        with open(argv[3]) as f:
            text = f.read()
        errs = ["field %s is not in %s" % (k, argv[3])
                for k in sorted(declared(load(argv[1])))
                if "`%s`" % k not in text and '"%s"' % k not in text]
    elif len(argv) == 4 and argv[2] == "--coverage":
        errs = coverage(load(argv[1]), argv[3])
    elif len(argv) == 5 and argv[2] == "--schema":
        errs = lines_against(load(argv[1]), argv[3], argv[4])
    elif len(argv) in (6, 7):
        with open(argv[5], "rb") as f:
            body = f.read().decode("utf-8", "replace")
        errs = check(load(argv[1]), argv[2], argv[3], argv[4], body,
                     argv[6] if len(argv) == 7 else "")
    else:
        print(__doc__.strip().split("\n\n")[0], file=sys.stderr)
        return 2
    for e in errs:
        print(e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
