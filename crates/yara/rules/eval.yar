/*
    exray built-in rules: request data evaluated as code (China Chopper family and its many
    rewrites). Written by the exray authors for behaviours, not for individual samples.
    Common subset of YARA 4 and yara-x: no yara-x-only syntax.
*/

rule EXRAY_Eval_Request_Direct
{
    meta:
        title = "Web shell: request data passed straight to eval/Execute"
        description = "A server-side eval, Execute or ExecuteGlobal whose argument is request data (Request(...), Request.Item[...], Request.Form(...)): the China Chopper one-liner in JScript, VBScript and their variants."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003"
    strings:
        // eval(Request.Item["x"]...) / eval request("x") / Execute(Request.Form("x")) / ExecuteGlobal request(...)
        // (eval_r: the name some filters rewrite eval to; the one-liner keeps its shape)
        $direct = /[^.a-z0-9_](eval|eval_r|execute|executeglobal)[\s(]{1,8}request(\s*\.\s*(item|form|querystring|params|headers|cookies|servervariables|get)){0,3}\s*[\[(]/ nocase
        // JScript through HttpContext: eval(Context.Request["x"], ...)
        $ctx = /[^.a-z0-9_]eval[\s(]{1,8}(this\.|page\.|(this\.)?(context|httpcontext\.current)\.)request(\s*\.\s*(item|form|querystring|params|headers|cookies|servervariables|get)){0,3}\s*[\[(]/ nocase
        // session-cached payload: execute session("x")
        $session = /[^.a-z0-9_](eval|execute|executeglobal)[\s(]{1,8}session\s*[\[(]/ nocase
        // ASP.NET data binding, which reads a field the request names and runs no code:
        // <%# Eval(Request.QueryString["f"]) %> (one per $direct it explains)
        $bind = /<%#\s*eval[\s(]{1,8}request(\s*\.\s*(item|form|querystring|params|headers|cookies|servervariables|get)){0,3}\s*[\[(]/ nocase
        // an injection filter's list of the words it refuses, kept in a literal
        // ("…|execute request(|cmd.exe /c request|…"): a call with no argument in a list
        $list = /\|(eval|eval_r|execute|executeglobal)[\s(]{1,8}request\s*\(\|/ nocase
        // (only in a page that a C# or VB directive opens and that names no JScript)
        $net = /<%@\s*(page|control|master)\b[^%>]{0,300}\blanguage\s*=\s*["']?(c#|cs|csharp|vb|vbnet)["'\s%]/ nocase
        $js = /<%@[^%>]{0,300}\blanguage\s*=\s*["']?(jscript|javascript|js)\b|<script\b[^>]{0,200}\brunat\s*=\s*["']?server[^>]{0,200}\blanguage\s*=\s*["']?(jscript|javascript|js)\b|<script\b[^>]{0,200}\blanguage\s*=\s*["']?(jscript|javascript|js)\b[^>]{0,200}\brunat\s*=\s*["']?server/ nocase
    condition:
        (#direct > #bind + #list or (#direct > #list and not ($net in (0..16) and not $js))) or $ctx or $session
}

rule EXRAY_JScript_Eval_Unsafe
{
    meta:
        title = "Web shell: JScript.NET eval with the \"unsafe\" option"
        description = "A server-side JScript page calls eval() with a second argument (\"unsafe\", often hidden by escapes or concatenation). Two-argument eval only exists in JScript.NET and is the signature of China Chopper ASPX shells and the OAB-settings shells of ProxyLogon."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003"
    strings:
        $unsafe = /eval\s*\([^;]{1,300}["']unsafe["']\s*\)/ nocase
        // not DataBinder.Eval(x, "fmt") / <%# Eval("f", "{0}") %>: JScript page required
        $two_arg = /[^.a-z0-9_]eval\s*\([^,;()"]{1,120},[^;]{1,200}\)/ nocase
        // JScript.NET server code: page directive or server script block (js, jscript, javascript)
        $js1 = /<%\s*@[^%]{0,200}language\s*=\s*["']?(jscript|javascript|js)["'\s%]/ nocase
        $js2 = /<script[^>]{0,100}runat\s*=\s*["']?server[^>]{0,100}language\s*=\s*["']?(jscript|javascript|js)["'\s>]/ nocase
        $js3 = /<script[^>]{0,100}language\s*=\s*["']?(jscript|javascript|js)["'\s][^>]{0,100}runat\s*=\s*["']?server/ nocase
    condition:
        $unsafe or ($two_arg and any of ($js*))
}

rule EXRAY_VBS_Eval_Request_Variable
{
    meta:
        title = "Web shell: small ASP page evaluates a variable filled from the request"
        description = "A small classic ASP page that copies request or session data into a variable and runs it with eval/Execute/ExecuteGlobal: the one-liner rewritten to dodge WAF signatures."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003"
        verify = "request-to-exec"
    strings:
        $req = /[^.a-z0-9_](request|session)(\s*\.\s*(item|form|querystring|headers|cookies|servervariables|get)){0,3}\s*[\[(]/ nocase
        // eval x / execute(x) / ExecuteGlobal (x) as a statement on a single identifier
        // (a trailing ' comment included: eVal x 'pass:...)
        $run = /[\s:(%>](eval|execute|executeglobal)[\s(]{1,8}[a-z_][a-z0-9_]{0,30}\s*\)?\s*(\r|\n|:|;|%>|\)|')/ nocase
        // the same through one pass-through function: Execute(check(x))
        $run_fn = /[\s:(%>](eval|execute|executeglobal)\s*\(?\s*[a-z_][a-z0-9_]{0,40}\s*\(\s*[a-z_][a-z0-9_]{0,30}\s*\)\s*\)?\s*(\r|\n|:|;|%>|')/ nocase
        // or what was stored in a dictionary: Execute(d.Item("k"))
        $run_item = /[\s:(%>](eval|execute|executeglobal)\s*\(?\s*[a-z_][a-z0-9_]{0,40}\.Item\s*\(/ nocase
        // server code: a <% %> block or a <script runat="server"> block
        $asp = /<%|<script[^>]{0,100}runat\s*=\s*["']?server/ nocase
    condition:
        filesize < 8KB and $asp and $req and ($run or $run_fn or $run_item)
}

rule EXRAY_Eval_Decoded_Request
{
    meta:
        title = "Web shell: eval/Execute of base64- or escape-decoded code"
        description = "Server-side eval/Execute of a string produced by a decoder (Convert.FromBase64String, unescape, StrReverse) or base64 text that decodes to request-evaluating code."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003"
    strings:
        $b64eval = /[^.a-z0-9_](eval|execute|executeglobal)[\s(]{1,8}[^;\r\n]{0,160}FromBase64String/ nocase
        $unesc = /[^.a-z0-9_](execute|executeglobal)[\s(]{1,8}(unescape|strreverse)\s*\(/ nocase
        $rev = /(execute|executeglobal|eval)[\s(]{1,8}strreverse\s*\(\s*request/ nocase
        $enc1 = "eval(Request" base64
        $enc2 = "Request.Item[" base64
        $enc3 = "Request.Form[" base64
        $enc4 = "eval request(" base64
        $enc5 = "execute request(" base64
        $enc6 = ",\"unsafe\")" base64
        $dec1 = "FromBase64String" nocase
        $dec2 = "base64" nocase
        $asp1 = "<%"
        $asp2 = "runat" nocase
    condition:
        ($b64eval or $unesc or $rev) or (any of ($enc*) and any of ($dec*) and any of ($asp*))
}

rule EXRAY_JScript_Eval_Alias
{
    meta:
        title = "Web shell: server-side JScript passes eval around as a value"
        description = "Server-side JScript stores eval or the Function constructor in a variable or object ({'E':eval}, var f = eval, var F = Function, (function(){}).constructor) and reads request data: the China Chopper \"customize\" server scripts call eval through the alias so that no eval( appears."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1027"
    strings:
        // {'E':eval} / f = eval; / return eval (a function that hands eval out)
        $alias = /([\[:=(,]\s*|return\s+)eval\s*[,;})\]\r\n]/
        // the same for the Function constructor (var F = Function; new F(code)())
        // (assigned, not compared: `v.constructor === Function` tests a type)
        $alias_fn = /[\w\s]=\s*Function\s*[;\r\n]/
        // the Function constructor reached through an object's constructor
        // ((function(){}).constructor, [].constructor.constructor, Function.prototype.constructor)
        // (or any function's: `parseInt.constructor(code)`, `(function(a){…}).constructor`,
        // `var f = parseInt.constructor;`; not a type test, `switch (v.constructor)`, `== Array`)
        $alias_ctor = /\}\s*\)\s*\.\s*constructor\b|\.\s*constructor\s*\.\s*constructor\b|\bFunction\s*\.\s*prototype\s*\.\s*constructor\b|\.\s*constructor\s*\(\s*[^)\s]|[^=!<>]=\s*[\w.]+\s*\.\s*constructor\s*[;\r\n]/
        // a word in the comma-separated list of a keyword filter ("…,executeglobal,eval,script,…")
        $kw = /[a-z_],eval,[a-z_]/
        $js1 = /<%\s*@[^%]{0,200}language\s*=\s*["']?(jscript|javascript|js)["'\s%]/ nocase
        $js2 = /<script[^>]{0,100}runat\s*=\s*["']?server[^>]{0,100}language\s*=\s*["']?(jscript|javascript|js)["'\s>]/ nocase
        $js3 = /<script[^>]{0,100}language\s*=\s*["']?(jscript|javascript|js)["'\s][^>]{0,100}runat\s*=\s*["']?server/ nocase
        $req = /request(\s*\.\s*(item|form|querystring|params|headers|cookies|get)){0,3}\s*[\[(]/ nocase
        // the request kept in a name first (var r = HttpContext.Current.Request)
        $req_obj = /[=.]\s*Request\s*[;\r\n]/ nocase
    condition:
        any of ($js*) and #alias + #alias_fn + #alias_ctor > #kw and ($req or $req_obj)
}

rule EXRAY_JScript_Service_Eval
{
    meta:
        title = "Web shell: JScript.NET web service or handler evaluates its input"
        description = "An .asmx WebService, an .ashx WebHandler or a .svc WCF ServiceHost written in JScript.NET calls eval on a variable (a web or service operation's parameter, a request value): code execution by a SOAP/JSON call. Benign web services do not evaluate their input."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003"
    strings:
        $svc = /<%\s*@\s*(webservice|webhandler|servicehost)[^%]{0,200}language\s*=\s*["']?(jscript|javascript|js)["'\s%]/ nocase
        $eval = /[^.a-z0-9_]eval\s*\(\s*[a-z_][a-z0-9_.]{0,60}\s*[,)]/ nocase
    condition:
        $svc and $eval
}

rule EXRAY_Eval_Request_Flow
{
    meta:
        title = "Web shell: page evaluates code that flows from the request"
        description = "A server page runs eval/Execute/ExecuteGlobal (or new Function, a script control's AddCode or Eval) on a variable or a call, and the page's own assignments, functions and collections carry request data (Request collections, the raw body, the session it filled) into it, whatever the names, the junk-stripping loops or the helper functions in between. The eval one-liner in any of its rewrites; an application that evaluates code the client sends is a web shell too."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "high"
        attack = "T1505.003, T1059"
        verify = "request-to-exec"
    strings:
        // (a name may be in the page's code page: 密码 = Request("x"), bytes from 0x80 up)
        $run = /(^|[^.a-z0-9_])(eval|execute|executeglobal)\s*\(?\s*([a-z_]|[\x80-\xff])([a-z0-9_]|[\x80-\xff]){0,40}\s*[(),;:\r\n'%]/ nocase
        // JScript's Function constructor, a script control's AddCode/ExecuteStatement/Eval
        $run_ctor = /[^.a-z0-9_]new\s+Function\s*\(/ nocase
        $run_sc = /\.(addcode|executestatement|eval)[\s(]/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        // the page-wide reading of names is too coarse for large programs (many procedures,
        // shared names, frameworks that evaluate their own code); rewritten one-liners and small
        // droppers are where it is needed, and large kits carry other signals
        filesize < 16KB and any of ($srv*) and any of ($run*)
}
