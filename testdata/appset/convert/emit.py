import json, sys
out, header = sys.argv[1], sys.argv[2]
cases=[]
for f in sys.argv[3:]: cases += json.load(open(f))
with open(out,"w") as fh:
    fh.write(header.rstrip()+"\ncases:\n")
    for c in cases: fh.write("  - "+json.dumps(c, ensure_ascii=False)+"\n")
