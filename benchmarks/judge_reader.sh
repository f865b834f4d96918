#!/bin/bash
# Judge a candidate reader against the shipped one's figures before its weights are committed.
#
#     benchmarks/judge_reader.sh build/reader-v2-cool/out     # a folder with reader.safetensors + reader.json
#
# Installs the candidate into qa/answering, refits the decisions over it (benchmarks/fit_scorer.py:
# cross-validated squad-dev, seeds and natural figures, with and without each passage's best read
# first), measures the never-fitted seeds/paraphrased.jsonl with `qa eval`, and runs the conversation
# and near-topic tests; everything lands in build/judge-NAME/. About 7 minutes on 2 cores with nothing
# else running. If the candidate does not ship: git checkout qa/answering benchmarks/scorer-features.npz
set -e
cd "$(dirname "$0")/.."
cand=${1:?usage: benchmarks/judge_reader.sh FOLDER}
# Named for the reader (reader.json's name), so that candidates exported to folders of one name ("out")
# do not overwrite each other's results.
out=build/judge-$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["name"])' "$cand/reader.json")
mkdir -p "$out"
cp "$cand/reader.safetensors" "$cand/reader.json" qa/answering/
.venv/bin/python benchmarks/fit_scorer.py --candidates 8 --each 0 1 > "$out/fit.log" 2>&1
cp qa/answering/scorer.json "$out/"
.venv/bin/qa eval --questions seeds/paraphrased.jsonl --modes hybrid -q --json "$out/para.json" --report "$out/para.md" > "$out/para.txt" 2>&1
.venv/bin/python -m pytest -q -p no:cacheprovider tests/test_conversation.py tests/test_answers.py > "$out/tests.txt" 2>&1 || true
.venv/bin/python - "$out" <<'PY'
import json, sys
out = sys.argv[1]
s = json.load(open(f"{out}/scorer.json"))["reader"]
for n in ["squad-dev", "seeds", "natural"]:
    f = s["figures"][n]
    at = next((p["abstain"], p["false_abstain"]) for p in s["curve"][n] if p["false_abstain"] >= 0.095)
    print(f"{n:10} answer@1 {f['answer@1']:.3f} hit@1 {f['hit@1']:.3f} abstain {f['abstain']:.3f} at {f['false_abstain']:.3f}; near 0.10: {at}")
p = json.load(open(f"{out}/para.json"))["modes"]["hybrid"]
print(f"paraphrased hit@1 {p['hit@1']:.3f} answer@1 {p['answer@1']:.3f} abstain {p['abstain']:.3f} at {p['false_abstain']:.3f}")
PY
grep "reader, " "$out/fit.log" | cut -c1-200
grep -A9 "trade-off" "$out/para.md" | tail -7
tail -3 "$out/tests.txt"
