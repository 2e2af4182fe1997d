"""Dumps the ONNX schema history of every default-domain op (since_version, attributes, inputs) as JSON.

Run with the peer interpreter: /usr/bin/python3 test/onnx/schemas.py > test/onnx/schemas.json
The schema history test (schemas.test.ts) reads the committed JSON: every op graphc imports must
declare which of these versions its rule reads, so a new opset form cannot slip in unnoticed.
"""
import json
import onnx
from onnx import defs

out = {}
for s in defs.get_all_schemas_with_history():
    if s.domain not in ('', 'ai.onnx'):
        continue
    out.setdefault(s.name, []).append({
        'since': s.since_version,
        'attributes': sorted(s.attributes.keys()),
        'inputs': [i.name for i in s.inputs],
    })
for v in out.values():
    v.sort(key=lambda e: e['since'])
print(json.dumps({'onnx': onnx.__version__, 'opset': defs.onnx_opset_version(), 'ops': dict(sorted(out.items()))}, indent=1))
