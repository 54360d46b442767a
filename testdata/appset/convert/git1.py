import json
cases=[]
def add(**kw): cases.append(kw)
# Test_generateParamsFromGitFile
default = "\nfoo:\n  bar: baz\n"
F="path/dir/file_name.yaml"
def filegen(values=None, prefix=None):
    g={"repoURL":"RepoURL","revision":"Revision","files":[{"path":F}]}
    if values is not None: g["values"]=values
    if prefix: g["pathParamPrefix"]=prefix
    return {"git":g}
flatpath={"path":"path/dir","path.basename":"dir","path.filename":"file_name.yaml","path.basenameNormalized":"dir","path.filenameNormalized":"file-name.yaml","path[0]":"path","path[1]":"dir"}
gopath={"path":"path/dir","basename":"dir","filename":"file_name.yaml","basenameNormalized":"dir","filenameNormalized":"file-name.yaml","segments":["path","dir"]}
add(name="Test_generateParamsFromGitFile/empty file returns path parameters", generator=filegen({}), repo={"files":{F:""}}, expect=[flatpath])
add(name="Test_generateParamsFromGitFile/invalid json/yaml file returns error", generator=filegen({}), repo={"files":{F:"this is not json or yaml"}}, errorContains="unable to parse file")
add(name="Test_generateParamsFromGitFile/file parameters are added to params", generator=filegen({}), repo={"files":{F:default}}, expect=[dict(flatpath, **{"foo.bar":"baz"})])
add(name="Test_generateParamsFromGitFile/path parameter are prefixed", generator=filegen({}, "myRepo"), repo={"files":{F:default}},
    expect=[dict({("myRepo."+k):v for k,v in flatpath.items()}, **{"foo.bar":"baz"})])
add(name="Test_generateParamsFromGitFile/file parameters are added to params with go template", goTemplate=True, generator=filegen({"somekey":"{{.path.basename}}"}), repo={"files":{F:default}},
    expect=[{"values":{"somekey":"dir"},"foo":{"bar":"baz"},"path":gopath}])
add(name="Test_generateParamsFromGitFile/path parameter are prefixed with go template", goTemplate=True, generator=filegen({}, "myRepo"), repo={"files":{F:default}},
    expect=[{"foo":{"bar":"baz"},"myRepo":{"path":gopath}}])
add(name="Test_generateParamsFromGitFile/path parameter are prefixed with go template and values", goTemplate=True, generator=filegen({"somekey":"{{.myRepo.path.basename}}"}, "myRepo"), repo={"files":{F:default}},
    expect=[{"foo":{"bar":"baz"},"myRepo":{"path":gopath},"values":{"somekey":"dir"}}])

def dirgen(dirs, prefix=None, values=None):
    g={"repoURL":"RepoURL","revision":"Revision","directories":dirs}
    if prefix: g["pathParamPrefix"]=prefix
    if values is not None: g["values"]=values
    return {"git":g}
def fp(path, prefix=None, values=None):
    n = (prefix+".path") if prefix else "path"
    base = path.split("/")[-1]
    import re
    d={n:path, n+".basename":base, n+".basenameNormalized":re.sub(r"[^-a-z0-9.]","-",base.lower()).strip("-.")}
    for i,s in enumerate(path.split("/")): d[f"{n}[{i}]"]=s
    for k,v in (values or {}).items(): d["values."+k]=v
    return d
def gp(path, prefix=None):
    import re
    base = path.split("/")[-1]
    m={"path":path,"basename":base,"basenameNormalized":re.sub(r"[^-a-z0-9.]","-",base.lower()).strip("-."),"segments":path.split("/")}
    return {prefix:{"path":m}} if prefix else {"path":m}
A=["app1","app2","app_3","p1/app4"]
B=["app1","p1/app2","p1/p2/app3","p1/p2/p3/app4"]
C=["app1","app2","p1/app2","p1/app3","p2/app3"]
for go in (False, True):
    T = "TestGitGenerateParamsFromDirectoriesGoTemplate" if go else "TestGitGenerateParamsFromDirectories"
    P = gp if go else fp
    kw = {"goTemplate": True} if go else {}
    add(name=T+"/happy flow - created apps", generator=dirgen([{"path":"*"}]), repo={"directories":A}, expect=[P("app1"),P("app2"),P("app_3")], **kw)
    add(name=T+"/It prefixes path parameters with PathParamPrefix", generator=dirgen([{"path":"*"}],"myRepo"), repo={"directories":A},
        expect=[P("app1","myRepo"),P("app2","myRepo"),P("app_3","myRepo")], **kw)
    add(name=T+"/It filters application according to the paths", generator=dirgen([{"path":"p1/*"},{"path":"p1/*/*"}]), repo={"directories":B},
        expect=[P("p1/app2"),P("p1/p2/app3")], **kw)
    add(name=T+"/It filters application according to the paths with Exclude", generator=dirgen([{"path":"p1/*","exclude":True},{"path":"*"},{"path":"*/*"}]), repo={"directories":C},
        expect=[P("app1"),P("app2"),P("p2/app3")], **kw)
    add(name=T+"/Expecting same exclude behavior with different order", generator=dirgen([{"path":"*"},{"path":"*/*"},{"path":"p1/*","exclude":True}]), repo={"directories":C},
        expect=[P("app1"),P("app2"),P("p2/app3")], **kw)
    if not go:
        add(name=T+"/Value variable interpolation", generator=dirgen([{"path":"*"},{"path":"*/*"}], values={"foo":"bar","aaa":"{{ path[0] }}","no-op":"{{ this-does-not-exist }}"}),
            repo={"directories":["app1","p1/app2"]},
            expect=[fp("app1",values={"foo":"bar","no-op":"{{ this-does-not-exist }}","aaa":"app1"}), fp("p1/app2",values={"foo":"bar","no-op":"{{ this-does-not-exist }}","aaa":"p1"})])
    add(name=T+"/handles empty response from repo server", generator=dirgen([{"path":"*"}]), repo={"directories":[]}, expect=[], **kw)
    add(name=T+"/handles error from repo server", generator=dirgen([{"path":"*"}]), repoError="error",
        error="error generating params from git: error getting directories from repo: error", **kw)
import sys
json.dump(cases, open(sys.argv[1],"w"))
