import json, sys, re
cases=[]
def add(**kw): cases.append(kw)
PROD_JSON = '{\n   "cluster": {\n       "owner": "john.doe@example.com",\n       "name": "production",\n       "address": "https://kubernetes.default.svc"\n   },\n   "key1": "val1",\n   "key2": {\n       "key2_1": "val2_1",\n       "key2_2": {\n           "key2_2_1": "val2_2_1"\n       }\n   },\n   "key3": 123\n}'
STAG_JSON = '{\n   "cluster": {\n       "owner": "foo.bar@example.com",\n       "name": "staging",\n       "address": "https://kubernetes.default.svc"\n   }\n}'
ARRAY_JSON = '\n[\n\t{\n\t\t"cluster": {\n\t\t\t"owner": "john.doe@example.com",\n\t\t\t"name": "production",\n\t\t\t"address": "https://kubernetes.default.svc",\n\t\t\t"inner": {\n\t\t\t\t"one" : "two"\n\t\t\t}\n\t\t}\n\t},\n\t{\n\t\t"cluster": {\n\t\t\t"owner": "john.doe@example.com",\n\t\t\t"name": "staging",\n\t\t\t"address": "https://kubernetes.default.svc"\n\t\t}\n\t}\n]'
PROD_YAML = "\ncluster:\n  owner: john.doe@example.com\n  name: production\n  address: https://kubernetes.default.svc\nkey1: val1\nkey2:\n  key2_1: val2_1\n  key2_2:\n    key2_2_1: val2_2_1\n"
STAG_YAML = "\ncluster:\n  owner: foo.bar@example.com\n  name: staging\n  address: https://kubernetes.default.svc\n"
ARRAY_YAML = "\n- cluster:\n    owner: john.doe@example.com\n    name: production\n    address: https://kubernetes.default.svc\n    inner:\n      one: two\n- cluster:\n    owner: john.doe@example.com\n    name: staging\n    address: https://kubernetes.default.svc"
P1_DB = '{\n  "database": {\n    "admin": "db.admin@example.com",\n    "name": "user-data",\n    "host": "db.internal.local",\n    "settings": {\n      "replicas": 3,\n      "backup": "daily"\n    }\n  }\n}\n'
P1_CLUSTER = '{\n\t"cluster": {\n\t"owner": "john.doe@example.com",\n\t"name": "production",\n\t"address": "https://kubernetes.default.svc",\n\t"inner": {\n\t\t"one" : "two"\n\t}\n}\n}'

def norm(s): return re.sub(r"[^-a-z0-9.]","-",s.lower()).strip("-.")
def flatpath(file, prefix=None):
    n = prefix+".path" if prefix else "path"
    d = file.rsplit("/",1)[0] if "/" in file else "."
    base = d.split("/")[-1]; fn = file.split("/")[-1]
    r={n:d, n+".basename":base, n+".filename":fn, n+".basenameNormalized":norm(base), n+".filenameNormalized":norm(fn)}
    for i,s in enumerate(d.split("/")):
        if s: r[f"{n}[{i}]"]=s
    return r
def gopath(file):
    d = file.rsplit("/",1)[0] if "/" in file else "."
    base = d.split("/")[-1]; fn = file.split("/")[-1]
    return {"path": {"path":d,"basename":base,"filename":fn,"basenameNormalized":norm(base),"filenameNormalized":norm(fn),"segments":d.split("/")}}
def gen(files, values=None):
    g={"repoURL":"RepoURL","revision":"Revision","files":files}
    if values is not None: g["values"]=values
    return {"git":g}
PROD_FLAT = {"cluster.owner":"john.doe@example.com","cluster.name":"production","cluster.address":"https://kubernetes.default.svc","key1":"val1","key2.key2_1":"val2_1","key2.key2_2.key2_2_1":"val2_2_1","key3":"123"}
STAG_FLAT = {"cluster.owner":"foo.bar@example.com","cluster.name":"staging","cluster.address":"https://kubernetes.default.svc"}
PROD_YFLAT = {k:v for k,v in PROD_FLAT.items() if k!="key3"}
PROD_GO = {"cluster":{"owner":"john.doe@example.com","name":"production","address":"https://kubernetes.default.svc"},"key1":"val1","key2":{"key2_1":"val2_1","key2_2":{"key2_2_1":"val2_2_1"}},"key3":123}
STAG_GO = {"cluster":{"owner":"foo.bar@example.com","name":"staging","address":"https://kubernetes.default.svc"}}
PROD_YGO = {k:v for k,v in PROD_GO.items() if k!="key3"}
ARR = [{"cluster.owner":"john.doe@example.com","cluster.name":"production","cluster.address":"https://kubernetes.default.svc","cluster.inner.one":"two"},
       {"cluster.owner":"john.doe@example.com","cluster.name":"staging","cluster.address":"https://kubernetes.default.svc"}]
ARR_GO = [{"cluster":{"owner":"john.doe@example.com","name":"production","address":"https://kubernetes.default.svc","inner":{"one":"two"}}},
          {"cluster":{"owner":"john.doe@example.com","name":"staging","address":"https://kubernetes.default.svc"}}]
PJ="cluster-config/production/config.json"; SJ="cluster-config/staging/config.json"
PY="cluster-config/production/config.yaml"; SY="cluster-config/staging/config.yaml"
for go in (False, True):
    T = "TestGitGenerateParamsFromFilesGoTemplate" if go else "TestGitGenerateParamsFromFiles"
    kw = {"goTemplate": True} if go else {}
    def P(file, flat, gov, extra=None):
        if go: r = dict(gov); r.update(gopath(file))
        else: r = dict(flat); r.update(flatpath(file))
        r.update(extra or {})
        return r
    add(name=T+"/happy flow: create params from git files", generator=gen([{"path":"**/config.json"}]), repo={"files":{PJ:PROD_JSON,SJ:STAG_JSON}},
        expect=[P(PJ,PROD_FLAT,PROD_GO),P(SJ,STAG_FLAT,STAG_GO)], order="any", **kw)
    if not go:
        add(name=T+"/Value variable interpolation", generator=gen([{"path":"**/config.json"}], {"aaa":"{{ cluster.owner }}","no-op":"{{ this-does-not-exist }}"}),
            repo={"files":{PJ:PROD_JSON,SJ:STAG_JSON}},
            expect=[P(PJ,PROD_FLAT,None,{"values.aaa":"john.doe@example.com","values.no-op":"{{ this-does-not-exist }}"}),
                    P(SJ,STAG_FLAT,None,{"values.aaa":"foo.bar@example.com","values.no-op":"{{ this-does-not-exist }}"})], order="any")
    add(name=T+"/handles error during getting repo paths", generator=gen([{"path":"**/config.json"}]), repoError="paths error",
        error="error generating params from git: paths error", **kw)
    add(name=T+"/test invalid JSON file returns error", generator=gen([{"path":"**/config.json"}]), repo={"files":{PJ:"invalid json file"}},
        error="error generating params from git: unable to process file 'cluster-config/production/config.json' from repository 'RepoURL': unable to parse file: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type []map[string]interface {}", **kw)
    add(name=T+"/test JSON array", generator=gen([{"path":"**/config.json"}]), repo={"files":{PJ:ARRAY_JSON}},
        expect=[P(PJ,ARR[0],ARR_GO[0]),P(PJ,ARR[1],ARR_GO[1])], order="any", **kw)
    add(name=T+"/Test YAML flow", generator=gen([{"path":"**/config.yaml"}]), repo={"files":{PY:PROD_YAML,SY:STAG_YAML}},
        expect=[P(PY,PROD_YFLAT,PROD_YGO),P(SY,STAG_FLAT,STAG_GO)], order="any", **kw)
    add(name=T+"/test YAML array", generator=gen([{"path":"**/config.yaml"}]), repo={"files":{PY:ARRAY_YAML}},
        expect=[P(PY,ARR[0],ARR_GO[0]),P(PY,ARR[1],ARR_GO[1])], order="any", **kw)
    if not go:
        add(name=T+"/test empty YAML array", generator=gen([{"path":"**/config.yaml"}]), repo={"files":{PY:"[]"}}, expect=[])

# The exclude tests mock GetFiles per pattern.
def exclude_case(name, files, inc_pat, exc_pat, inc, exc, nomatch, expect, go=False, newglob=False):
    contents = {}
    for m in (inc, exc, nomatch): contents.update(m)
    by = {}
    for p in exc_pat: by[p] = sorted(exc.keys())
    for p in inc_pat: by[p] = sorted(inc.keys())
    c = dict(name=name, generator=gen(files), repo={"files":contents, "filesByPattern": by}, expect=expect, order="any")
    if go: c["goTemplate"]=True
    if newglob: c["newGitFileGlobbing"]=True
    cases.append(c)
CP="cluster-config/production/config.json"
for kind in ("New", "Old"):
    T = f"TestGitGeneratorParamsFromFilesWithExcludeOptionWith{kind}Globbing"
    ng = kind=="New"
    exclude_case(T+"/filter files according to file-path with exclude", [{"path":"**/config.json"},{"path":"p1/**/config.json","exclude":True}],
        ["**/config.json"], ["p1/**/config.json"], {CP:PROD_JSON,"p1/config.json":P1_DB,"p1/p2/config.json":""}, {"p1/config.json":P1_DB,"p1/p2/config.json":""}, {},
        [dict(PROD_FLAT, **flatpath(CP))], newglob=ng)
    exclude_case(T+"/filter files according to multiple file-paths with exclude", [{"path":"**/config.json"},{"path":"p1/app2/config.json","exclude":True},{"path":"p1/app3/config.json","exclude":True}],
        ["**/config.json"], ["p1/app2/config.json","p1/app3/config.json"], {"p1/config.json":P1_CLUSTER,"p1/app2/config.json":"{}","p1/app3/config.json":"{}"},
        {"p1/app2/config.json":"{}","p1/app3/config.json":"{}"}, {}, [dict(ARR[0], **flatpath("p1/config.json"))], newglob=ng)
    exclude_case(T+"/docs example test case to filter files according to multiple file-paths with exclude", [{"path":"cluster-config/**/config.json"},{"path":"cluster-config/*/dev/config.json","exclude":True}],
        ["cluster-config/**/config.json"], ["cluster-config/*/dev/config.json"], {"cluster-config/engineering/prod/config.json":STAG_YAML.replace("foo.bar","john.doe").replace("staging","production"),"cluster-config/engineering/dev/config.json":STAG_YAML},
        {"cluster-config/engineering/dev/config.json":STAG_YAML}, {}, [dict({"cluster.owner":"john.doe@example.com","cluster.name":"production","cluster.address":"https://kubernetes.default.svc"}, **flatpath("cluster-config/engineering/prod/config.json"))], newglob=ng)
    exclude_case(T+"/testcase to verify new globbing pattern without any exclude", [{"path":"some-path/*.yaml"}],
        ["some-path/*.yaml"], [], {"some-path/values.yaml":STAG_YAML.replace("foo.bar","john.doe").replace("staging","production")}, {},
        {"some-path/staging/values.yaml":STAG_YAML}, [dict({"cluster.owner":"john.doe@example.com","cluster.name":"production","cluster.address":"https://kubernetes.default.svc"}, **flatpath("some-path/values.yaml"))], newglob=ng)
    exclude_case(T+"/test to verify the solution for Git File Generator Problem", [{"path":"cluster-charts/*/*/values.yaml"},{"path":"cluster-charts/*/values.yaml","exclude":True}],
        ["cluster-charts/*/*/values.yaml"], ["cluster-charts/*/values.yaml"],
        {"cluster-charts/cluster1/mychart/values.yaml":"\nenv: staging\n","cluster-charts/cluster1/myotherchart/values.yaml":"\nenv: prod\n"},
        {"cluster-charts/cluster2/values.yaml":"\nenv: dev\n"}, {"cluster-charts/cluster1/mychart/charts/mysubchart/values.yaml":"\nenv: testing\n"},
        [dict({"env":"staging"}, **flatpath("cluster-charts/cluster1/mychart/values.yaml")), dict({"env":"prod"}, **flatpath("cluster-charts/cluster1/myotherchart/values.yaml"))], newglob=ng)
T="TestGitGeneratorParamsFromFilesWithExcludeOptionGoTemplate"
exclude_case(T+"/filter files according to file-path with exclude", [{"path":"**/config.json"},{"path":"p1/**/config.json","exclude":True}],
    ["**/config.json"], ["p1/**/config.json"], {CP:PROD_JSON,"p1/config.json":P1_DB,"p1/p2/config.json":""}, {"p1/config.json":P1_DB,"p1/p2/config.json":""}, {},
    [dict(PROD_GO, **gopath(CP))], go=True, newglob=True)
exclude_case(T+"/filter files according to multiple file-paths with exclude", [{"path":"**/config.json"},{"path":"p1/app2/config.json","exclude":True},{"path":"p1/app3/config.json","exclude":True}],
    ["**/config.json"], ["p1/app2/config.json","p1/app3/config.json"], {"p1/config.json":P1_CLUSTER}, {"p1/app2/config.json":P1_DB,"p1/app3/config.json":"{}"}, {},
    [dict(ARR_GO[0], **gopath("p1/config.json"))], go=True, newglob=True)

# TestGitGenerator_GenerateParams: the AppProject check of a non-templated project.
def dirs_case(name, project, projects, expect=None, error=None):
    c = dict(name="TestGitGenerator_GenerateParams/"+name,
             generator={"git":{"repoURL":"RepoURL","revision":"Revision","directories":[{"path":"*"}],"values":{"foo":"bar"}}},
             templateProject=project, projects=projects, repo={"directories":["app1"]})
    if expect is not None: c["expect"]=expect
    if error: c["error"]=error
    cases.append(c)
E=[{"path":"app1","path.basename":"app1","path.basenameNormalized":"app1","path[0]":"app1","values.foo":"bar"}]
dirs_case("Signature Verification - ignores templated project field", "{{.project}}", [], E)
dirs_case("Signature Verification - Checks for non-templated project field", "project", [], error='error generating params from git: error getting project project: appprojects.argoproj.io "project" not found')
dirs_case("Project field is not templated - verify that project is passed through to repo-server as-is", "project", ["project"], E)
dirs_case("Project field is templated - verify that project is passed through to repo-server as empty string", "{{.project}}", [], E)
json.dump(cases, open(sys.argv[1],"w"))
