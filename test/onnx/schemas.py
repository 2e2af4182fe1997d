"""Dumps the ONNX schema history of every default-domain op (since_version, attributes, inputs) as JSON.

Run with the peer interpreter:
  /usr/bin/python3 test/onnx/schemas.py [Changelog.md NEWEST] > test/onnx/schemas.json
The installed onnx package gives the history up to its own opset (1.12: opset 17). The opsets after it,
up to NEWEST (the newest onnxruntime-node accepts), are read from ONNX's operator changelog
(docs/Changelog.md of the onnx repository, generated from the same schema definitions), whose entries
agree with the package's wherever both have them (checked here: the script stops on a difference).
The schema history test (schemas.test.ts) reads the committed JSON: every op graphc imports must
declare which of these versions its rule reads, so a new opset form cannot slip in unnoticed.
"""
import json
import re
import sys
import onnx
from onnx import defs


def from_package():
    out = {}
    for s in defs.get_all_schemas_with_history():
        if s.domain not in ('', 'ai.onnx'):
            continue
        out.setdefault(s.name, []).append({
            'since': s.since_version,
            'attributes': sorted(s.attributes.keys()),
            'inputs': [i.name for i in s.inputs],
        })
    return out


def from_changelog(path):
    """Every default-domain schema version in the changelog: its attributes and inputs by name."""
    out, deprecated, entry, section = {}, {}, None, None
    default = False
    for line in open(path, encoding='utf8'):
        if line.startswith('# '):
            default = line.strip() == '# ai.onnx (default)'
            continue
        if not default:
            continue
        m = re.match(r'### <a name="([A-Za-z0-9_]+)-(\d+)"></a>', line)
        if m:
            entry = {'since': int(m.group(2)), 'attributes': [], 'inputs': []}
            # a deprecated version's entry lists no attributes or inputs: kept out of the comparison
            (deprecated if '(deprecated)' in line else out).setdefault(m.group(1), []).append(entry)
            section = None
            continue
        if line.startswith('#### '):
            section = 'attributes' if line.startswith('#### Attributes') else 'inputs' if line.startswith('#### Inputs') else None
            continue
        m = re.match(r'<dt><tt>([^<]+)</tt>', line)
        if entry is not None and section and m:
            entry[section].append(m.group(1))
    for v in out.values():
        for e in v:
            e['attributes'].sort()
    return out, {(name, e['since']) for name, v in deprecated.items() for e in v}


ops = from_package()
opset = defs.onnx_opset_version()
source = onnx.__version__
if len(sys.argv) == 3:
    (log, deprecated), newest = from_changelog(sys.argv[1]), int(sys.argv[2])
    for name, history in ops.items():
        theirs = {e['since']: e for e in log.get(name, [])}
        for e in history:
            if (name, e['since']) not in deprecated and theirs.get(e['since']) != e:
                sys.exit(f'{name}-{e["since"]}: the changelog says {theirs.get(e["since"])}, the package {e}')
    for name, history in log.items():
        later = [e for e in history if opset < e['since'] <= newest]
        if later:
            ops.setdefault(name, []).extend(later)
    source = f'{onnx.__version__}, opsets {opset + 1}-{newest} from the operator changelog'
    opset = newest
for v in ops.values():
    v.sort(key=lambda e: e['since'])
print(json.dumps({'onnx': source, 'opset': opset, 'ops': dict(sorted(ops.items()))}, indent=1))
