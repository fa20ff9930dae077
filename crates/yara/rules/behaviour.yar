/*
    exray built-in rules: what a web shell does with the request, by behaviour. Each rule is a
    chain (request data -> a dangerous sink) or a construct benign pages never need. Written by
    the exray authors for behaviours, not for individual samples. Common subset of YARA 4 and
    yara-x. Request data is matched without its quotes (GBK/Big5 pages carry multi-byte quotes)
    and with `.Get(` forms; JScript comments between tokens are allowed where shells split them.
*/

rule EXRAY_Request_Process_Start
{
    meta:
        title = "Web shell: request data starts a process"
        description = "A server page starts a process (System.Diagnostics.Process / ProcessStartInfo, also through CallByName, a delegate or reflection; WScript.Shell Exec/Run, also when its name is assembled) with a command taken from the request, and usually returns its redirected output: a command shell."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1059.003"
    strings:
        $p1 = "ProcessStartInfo" ascii wide nocase
        $p2 = /Process\s*\.\s*Start\s*\(/ nocase
        $p3 = /StartInfo\s*\.\s*(FileName|Arguments)/ nocase
        $p4 = /System\.Diagnostics\.Process["\s(]/ nocase
        $p5 = /\.Exec\s*\(\s*["'(]?\s*(cmd|"cmd|'cmd|[a-z_][a-z0-9_]{0,30}\s*\+)/ nocase
        $p6 = /ActiveXObject\s*\(\s*(unescape|String\.fromCharCode|[a-z_][a-z0-9_]{0,30}\s*[+)])/ nocase
        $out1 = /StandardOutput|StdOut\b|RedirectStandardOutput/ nocase
        // the interpreter named as a program ("cmd", "cmd.exe", a path to it, `/c`), not a
        // variable `cmd` (an ADODB command, `Function Open(Cmd)`)
        $out2 = /["'\\\/]cmd(\.exe)?["']\s*[,;&+)]|cmd\.exe|\/c\s*["'+ ]/ nocase
        $req1 = /[^a-z0-9_]request\s*(\.\s*(item|form|querystring|params|headers|cookies))?\s*(\.\s*get\s*)?\s*[\[(]/ nocase
        $req2 = /request\s*\.\s*(inputstream|binaryread)/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
        $srv4 = "WebMethod" nocase
    condition:
        any of ($srv*) and any of ($p*) and any of ($out*) and any of ($req*)
}

rule EXRAY_Process_Output_Page
{
    meta:
        title = "Web shell: page runs a program and shows its output"
        description = "A server page starts a process with redirected standard output and writes that output back into the page or a control (Response.Write, .Text, .InnerHtml): the form-driven command shells (AspxSpy style), whatever HTML surrounds them."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1059"
    strings:
        $p1 = "ProcessStartInfo" nocase
        $p2 = /Process\s*\.\s*Start\s*\(/ nocase
        $p3 = /StartInfo\s*\.\s*FileName/ nocase
        $o1 = /StandardOutput\s*\.\s*ReadToEnd/ nocase
        $o2 = /RedirectStandardOutput\s*=\s*true/ nocase
        $w1 = /Response\s*\.\s*Write/ nocase
        $w2 = /\.(Text|InnerHtml|InnerText)\s*=/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        any of ($srv*) and any of ($p*) and all of ($o*) and any of ($w*)
}

rule EXRAY_ASP_Object_Tag_Shell
{
    meta:
        title = "Web shell: shell object created by a server-side <object> tag"
        description = "A classic ASP page declares WScript.Shell or Shell.Application (or WScript.Network) with <object runat=server classid=clsid:... / progid=...> instead of CreateObject: the command-execution object of many ASP web shells, created where name-based signatures do not look."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1059.003"
    strings:
        $clsid = /<object[^>]{0,300}clsid:\s*(72C24DD5-D70A-438B-8A42-98424B88AFB8|F935DC22-1CF0-11D0-ADB9-00C04FD58A0B|13709620-C279-11CE-A49E-444553540000|093FF999-1EA0-4079-9525-9614C3504B74)/ nocase
        $progid = /<object[^>]{0,300}progid\s*=\s*["']?(wscript\.shell|shell\.application|wscript\.network)/ nocase
        $runat = /<object[^>]{0,300}runat\s*=\s*["']?server/ nocase
        $getobj = /GetObject\s*\(\s*"new:(72C24DD5-D70A-438B-8A42-98424B88AFB8|F935DC22-1CF0-11D0-ADB9-00C04FD58A0B|13709620-C279-11CE-A49E-444553540000)/ nocase
    condition:
        (any of ($clsid, $progid) and $runat) or $getobj
}

rule EXRAY_ASP_Chr_Assembled_Execute
{
    meta:
        title = "Web shell: Execute/Eval of text assembled from character codes"
        description = "A classic ASP page builds code out of Chr() codes (Chr(101)&Chr(118)&...) or a numeric array turned into characters in a loop, and runs it with Execute/ExecuteGlobal/Eval: the eval-request one-liner hidden from text signatures."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1027"
    strings:
        $chain = /chr[wb]?\s*\(\s*(3[2-9]|[4-9][0-9]|1[01][0-9]|12[0-6])\s*\)\s*[&+]\s*chr[wb]?\s*\(\s*(3[2-9]|[4-9][0-9]|1[01][0-9]|12[0-6])\s*\)\s*[&+]\s*chr[wb]?\s*\(\s*(3[2-9]|[4-9][0-9]|1[01][0-9]|12[0-6])\s*\)\s*[&+]\s*chr[wb]?\s*\(/ nocase
        $numarr = /array\s*\(\s*((3[2-9]|[4-9][0-9]|1[01][0-9]|12[0-6])\s*,\s*){15}/ nocase
        $chrvar = /chr[wb]?\s*\(\s*[a-z_][a-z0-9_]{0,30}\s*[(\-+]/ nocase
        // VBScript's own statements anywhere in the page; `eval` is every browser script's too
        // (a page's client-side `eval("var t=(" + json + ")")`), so it counts with the codes in
        // its own argument or with a name, VBScript's way (`Eval(code)`, `Eval c`, `Eval(Trim(c))`,
        // `Eval(c & "")`: VBScript joins with `&`, the client-side script with `+`)
        $run = /(^|[^a-z0-9_.])(execute|executeglobal)[\s(]|(^|[^a-z0-9_.])eval(\s+|\s*\(\s*)([a-z_][a-z0-9_]{0,20}\s*\(\s*)?[a-z_][a-z0-9_]{0,40}\s*[)&:\r\n]/ nocase
        $run_codes = /(^|[^a-z0-9_.])(execute|executeglobal|eval)\s*\(?\s*(chr[wb]?\s*\(\s*[0-9]{1,3}\s*\)\s*[&+]\s*){5}chr[wb]?\s*\(/ nocase
        $srv = "<%"
    condition:
        $srv and ($run_codes or ($run and ($chain or ($numarr and $chrvar))))
}

rule EXRAY_Execute_Decoder_Output
{
    meta:
        title = "Web shell: Execute/Eval of a decoder's or decryptor's output"
        description = "Execute, ExecuteGlobal or Eval runs the return value of a decoding call (Decrypt(...), Decode(...), Replace(...), Mid(...), StrReverse(...), unescape(...), a parameter getter): an encrypted one-liner, a Behinder/Godzilla ASP payload, or a Replace/Mid-decoded shell."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1027"
    strings:
        // Execute/ExecuteGlobal are VBScript's own; eval is also every browser script's, so it
        // counts only in a server page
        $run_vbs = /(^|[^a-z0-9_.])(execute|executeglobal)(\s*\(\s*|\s+)[a-z_]{0,20}(decrypt|decode|unescape|strreverse|replace|mid|base64|getparameter|param)[a-z0-9_]{0,20}\s*\(/ nocase
        // (not Eval(Replace(…)) / Eval(Mid(…)): VBScript's Eval computes expressions, and
        // applications evaluate formulas that way)
        $run_eval = /(^|[^a-z0-9_.])eval(\s*\(\s*|\s+)[a-z_]{0,20}(decrypt|decode|unescape|strreverse|base64|getparameter|param)[a-z0-9_]{0,20}\s*\(/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $js = /<%\s*@[^%]{0,200}language\s*=\s*["']?c#/ nocase
        // a C# source file (a data layer's ExecuteDataset(…) helpers), not VBScript
        $cs = /(^|[\r\n])\s*using\s+System(\.[A-Za-z.]+)?\s*;/
    condition:
        ($run_vbs or (any of ($srv*) and $run_eval)) and not $js and not ($cs and not any of ($srv*))
}

rule EXRAY_JScript_Eval_Request_Split
{
    meta:
        title = "Web shell: JScript eval of request data split by comments or aliases"
        description = "Server-side JScript whose eval( and Request are separated by /* comments */ or reached through an alias of HttpContext.Current.Request: the China Chopper ASPX one-liner rewritten so that no 'eval(Request' appears."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1027"
    strings:
        $split = /[^a-z0-9_.]eval(\s|\/\*[^*]{0,80}\*\/){0,8}\((\s|\/\*[^*]{0,80}\*\/){0,8}[a-z_.]{0,40}request(\s|\/\*[^*]{0,80}\*\/){0,8}[.\[(]/ nocase
        $cmt = /eval\s*\/\*|request\s*\/\*|\*\/\s*\(\s*request/ nocase
        $js1 = /<%\s*@[^%]{0,200}language\s*=\s*["']?(jscript|javascript|js)/ nocase
        $js2 = /<script[^>]{0,200}language\s*=\s*["']?(jscript|javascript|js)/ nocase
    condition:
        any of ($js*) and $split and $cmt
}

rule EXRAY_NET_Assembly_From_Request
{
    meta:
        title = "Web shell: .NET assembly loaded from request data"
        description = "A page reads request data (form, cookie, query, headers, InputStream, BinaryRead), usually decrypts it, and loads it as an assembly (Assembly.Load, also through reflection with \"Load\" spelt as a string or byte codes) to create and invoke a type: the Behinder/Godzilla/SharPyShell in-memory loaders."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1620"
    strings:
        // (Assembly.Load("App_Code") loads an assembly by its name: the application's own code)
        $asm1 = /Assembly\s*\.\s*Load\s*\(\s*[^"\s]/ nocase
        $asm2 = "System.Reflection.Assembly" nocase
        $asm3 = /typeof\s*\(\s*(System\.Reflection\.)?Assembly\s*\)/ nocase
        $asm4 = /\.Load\s*\(\s*(Convert\.FromBase64String|[a-z_][a-z0-9_]{0,30}\s*\))/ nocase
        $asm6 = /\(\s*(System\.Reflection\.)?Assembly\s*\)\s*[a-z_]/ nocase
        $asm5 = /AppDomain\s*\.\s*CurrentDomain\s*\.\s*Load\s*\(/ nocase
        $load = /"Load"|76\s*,\s*111\s*,\s*97\s*,\s*100|TG9hZA|'L'\s*,\s*'o'\s*,\s*'a'\s*,\s*'d'/ nocase
        $dec = /CreateDecryptor|TransformFinalBlock|FromBase64String/ nocase
        $use = /CreateInstance|\.Invoke\s*\(/ nocase
        $req1 = /[^a-z0-9_]request\s*(\.\s*(item|form|querystring|params|headers|cookies))?\s*(\.\s*get\s*)?\s*[\[(]/ nocase
        $req2 = /request\s*\.\s*(inputstream|binaryread|cookies|form)/ nocase
        $req3 = "WebMethod" nocase
        // a page, a handler or a small file: a large class library that loads its plug-ins
        // and also reads request values elsewhere is an application
        $page1 = "<%"
        $page2 = "runat" nocase
        $page3 = "IHttpHandler" nocase
        $page4 = "IHttpModule" nocase
        $page5 = "IHttpAsyncHandler" nocase
        $page6 = /:\s*(System\.Web\.UI\.)?Page\b|Inherits\s+(System\.Web\.UI\.)?Page\b|HttpApplication/
    condition:
        any of ($req*) and $use and (any of ($asm1, $asm5) or (any of ($asm2, $asm3, $asm4, $asm6) and ($load or $dec)))
            and (any of ($page*) or filesize < 24KB)
}

rule EXRAY_NET_Embedded_Assembly_Loader
{
    meta:
        title = "Web shell: page loads an assembly embedded in itself"
        description = "A page turns a base64 string or byte array written into the page into an assembly (Assembly.Load(Convert.FromBase64String(...)) / Assembly.Load(bytes)) and invokes it: an in-memory implant or memory-shell installer that keeps its code out of the page text."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1620"
    strings:
        $load = /Assembly\s*\.\s*Load\s*\(\s*(Convert\s*\.\s*FromBase64String|new\s+byte|[a-z_][a-z0-9_]{0,30}\s*\))/ nocase
        $use = /CreateInstance|\.Invoke\s*\(|GetMethod\s*\(/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        any of ($srv*) and $load and $use
}

rule EXRAY_NET_Memory_Shell_Install
{
    meta:
        title = "Web shell: page installs an in-memory handler (memory shell)"
        description = "A page registers code that will answer requests without any file on disk: a VirtualPathProvider, a new route or MVC filter, an HttpListener prefix, or a module added at run time. Pages never need to do this; memory-shell injectors do."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1505.004"
    strings:
        $vpp = "RegisterVirtualPathProvider" nocase
        $route = /RouteTable\s*\.\s*Routes\s*\.\s*(Add|Insert|MapPageRoute)/ nocase
        $filter = /GlobalFilters\s*\.\s*Filters\s*\.\s*Add/ nocase
        $listener = /HttpListener[^;\r\n]{0,200}[\r\n]?[^;\r\n]{0,200}Prefixes\s*\.\s*Add/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and any of ($vpp, $route, $filter, $listener)
}

rule EXRAY_NET_Shellcode_Runner
{
    meta:
        title = "Web shell: page allocates executable memory and starts a thread"
        description = "A server page imports kernel32 VirtualAlloc/VirtualProtect with PAGE_EXECUTE_READWRITE and CreateThread (or a delegate from a function pointer): a shellcode runner planted as a page or SOAP service."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1055"
    strings:
        $imp = "DllImport" nocase
        $a1 = "VirtualAlloc" nocase
        $a2 = "VirtualProtect" nocase
        $t1 = "CreateThread" nocase
        $t2 = "GetDelegateForFunctionPointer" nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and $imp and any of ($a*) and any of ($t*)
}

rule EXRAY_NET_Process_Injection
{
    meta:
        title = "Web shell: page injects code into another process"
        description = "A server page declares the Windows calls that write code into another process and start it there: VirtualAllocEx / WriteProcessMemory / NtCreateSection + NtMapViewOfSection, then CreateRemoteThread, QueueUserAPC or a resumed thread (process injection and hollowing loaders of the OSEP/Cobalt Strike kind, dropped as .aspx). No web page touches another process's memory."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1055"
    strings:
        // memory of another process opened, written or mapped
        $mem1 = "VirtualAllocEx" nocase
        $mem2 = "WriteProcessMemory" nocase
        $mem3 = "NtMapViewOfSection" nocase
        $mem4 = "NtWriteVirtualMemory" nocase
        $mem5 = "ZwMapViewOfSection" nocase
        // and code started there
        $run1 = "CreateRemoteThread" nocase
        $run2 = "QueueUserAPC" nocase
        $run3 = "NtQueueApcThread" nocase
        $run4 = "RtlCreateUserThread" nocase
        $run5 = "NtCreateThreadEx" nocase
        $run6 = "SetThreadContext" nocase
        $run7 = "ResumeThread" nocase
        // declared as native calls (P/Invoke, VB Declare, a function pointer looked up), in a
        // text page, not a DLL whose import table names them
        $imp1 = "DllImport" nocase
        $imp2 = /Declare\s+(Auto\s+|Ansi\s+|Unicode\s+)?(Function|Sub)\s/ nocase
        $imp3 = "GetProcAddress" nocase
        $imp4 = "GetDelegateForFunctionPointer" nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
        $srv4 = "WebMethod" nocase
    condition:
        uint16(0) != 0x5A4D and any of ($srv*) and any of ($imp*) and any of ($mem*) and any of ($run*)
}

rule EXRAY_Socket_Tunnel_Request
{
    meta:
        title = "Web shell: TCP tunnel driven by request headers or parameters"
        description = "A server page opens a TCP connection (Socket/TcpClient) to a host and port taken from the request, keeps it between requests (Session/Application/a static table) and relays bytes both ways: the reGeorg/Neo-reGeorg/ABPTTS/pivotnacci/suo5/reDuh family of HTTP tunnels into the internal network."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1090.001, T1572"
    strings:
        $s1 = /new\s+(System\.Net\.Sockets\.)?(Socket|TcpClient)\s*\(/ nocase
        $s2 = "System.Net.Sockets" nocase
        // (or the other way round: a listener the caller's port opens, a socket it accepts)
        $conn = /\.(Connect|BeginConnect|ConnectAsync|AcceptSocket|AcceptTcpClient)\s*\(|TcpClient\s*\(\s*[a-z_]/ nocase
        $io1 = /\.(Receive|Read|BeginReceive)\s*\(/ nocase
        $io2 = /\.(Send|Write|BeginSend)\s*\(/ nocase
        $keep = /(Session|Application)\s*(\[|\.Add\s*\(|\.Set\s*\()|(static|internal)\s+[a-z_.<>, ]{0,60}(Hashtable|Dictionary|ConcurrentDictionary)|TcpListener/ nocase
        $req = /request\s*\.\s*(headers|querystring|form|params|inputstream|binaryread|item)|request\s*\.\s*get\s*\(|request\s*\[/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        any of ($srv*) and any of ($s*) and $conn and all of ($io*) and $keep and $req
}

rule EXRAY_Page_Port_Forward
{
    meta:
        title = "Attacker tool: port forward run by a server page (two sockets, bytes pumped between them)"
        description = "A server page connects two TCP sockets, one to a host outside and one to a port of this server or its network (Remote Desktop's 3389, SMB, SQL), and copies what either receives to the other: a port forward (lcx/htran written as a page) that exposes an internal service through the web server, with no request needed after the first. Web pages that check a port connect once and pump nothing."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1090.001, T1572"
    strings:
        $s1 = /new\s+(System\.Net\.Sockets\.)?(Socket|TcpClient)\s*\(/ nocase
        $s2 = "System.Net.Sockets" nocase
        $conn = /\.(Connect|BeginConnect|ConnectAsync)\s*\(|new\s+(System\.Net\.Sockets\.)?TcpClient\s*\(\s*[a-z_"]/ nocase
        // what one socket receives is sent on by the other: in callbacks, in a loop of its own
        // thread, or by copying one stream into the other
        $pump1 = /\.BeginReceive\s*\(/ nocase
        $pump2 = /\.BeginSend\s*\(/ nocase
        $pump3 = /\.Receive(Async)?\s*\(/ nocase
        $pump4 = /\.Send(Async)?\s*\(/ nocase
        $pump5 = /\.CopyTo(Async)?\s*\(/ nocase
        $loop = /new\s+(System\.Threading\.)?Thread\s*\(|ThreadPool\s*\.|Task\s*\.\s*(Run|Factory)|\.Poll\s*\(|Socket\s*\.\s*Select\s*\(|while\s*\(\s*true\s*\)/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        filesize < 256KB and any of ($srv*) and any of ($s*) and #conn >= 2 and
        (($pump1 and $pump2) or (#pump3 >= 2 and #pump4 >= 2 and $loop) or #pump5 >= 2)
}

rule EXRAY_Remote_Fetch_To_Disk
{
    meta:
        title = "Web shell: page downloads content and saves it as a page or where the request says"
        description = "A server page fetches a URL (MSXML2.XMLHTTP / ServerXMLHTTP / WinHttp / WebClient / WebRequest) and saves the answer with ADODB.Stream SaveToFile, or writes it into a script page (Server.MapPath(\"x.aspx\")) or a request-chosen path: a downloader that plants the next stage."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1105"
    strings:
        $h1 = /(Server)?XMLHTTP|WinHttp\.WinHttpRequest|WebClient|HttpWebRequest|WebRequest\s*\.\s*Create/ nocase
        $body = /responseBody|DownloadData|DownloadFile|DownloadString|GetResponseStream/ nocase
        // (quotes as ASCII, or as the curly quotes a page pasted from a GBK or UTF-8 text keeps)
        $save1 = /SaveToFile[\s(]{1,4}("|\xa1[\xb0\xb1]|\xe2\x80[\x9c\x9d])[^"\r\n]{1,200}\.(asp|aspx|ashx|asmx|asa|cer|cdx|config)("|\xa1[\xb0\xb1]|\xe2\x80[\x9c\x9d])/ nocase
        $save2 = /(SaveToFile|CreateTextFile|OpenTextFile|WriteAllText|WriteAllBytes|StreamWriter|FileStream|CreateText)[\s(]{1,4}[a-z_.\s]{0,40}MapPath\s*\(\s*("|\xa1[\xb0\xb1]|\xe2\x80[\x9c\x9d])[^"\r\n]{1,80}\.(aspx|asp|ashx|asmx|asa|cer|cdx|config)("|\xa1[\xb0\xb1]|\xe2\x80[\x9c\x9d])/ nocase
        $save3 = /(SaveToFile|DownloadFile|CreateTextFile|WriteAll(Bytes|Text)|CreateText|File\s*\.\s*Create)[\s(]{1,4}[^)\r\n]{0,60}request/ nocase
        // the same save in a VBScript comment line runs nothing (one per commented save)
        $off2 = /[\r\n][ \t]*'[^\r\n]{0,60}(SaveToFile|CreateTextFile|OpenTextFile|WriteAllText|WriteAllBytes|StreamWriter|FileStream|CreateText)[\s(]{1,4}[a-z_.\s]{0,40}MapPath\s*\(\s*("|\xa1[\xb0\xb1]|\xe2\x80[\x9c\x9d])[^"\r\n]{1,80}\.(aspx|asp|ashx|asmx|asa|cer|cdx|config)("|\xa1[\xb0\xb1]|\xe2\x80[\x9c\x9d])/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        any of ($srv*) and $h1 and $body and ($save1 or #save2 > #off2 or $save3)
}

rule EXRAY_Remote_Content_Relay
{
    meta:
        title = "Suspicious: page mirrors a remote site into its own responses"
        description = "A server page fetches pages from a remote server written into it (http://... literal) with the visitor's path, query or host appended (ServerVariables, QUERY_STRING, Request.Url/RawUrl) and writes the answer into its own response: SEO-spam mirrors and remote-controlled content on a compromised site. Not a command shell; someone had write access to the web root."
        family = "generic"
        stage = "foothold"
        severity = "medium"
        confidence = "medium"
        attack = "T1505.003"
        verify = "visitor-relay"
    strings:
        $h = /ServerXMLHTTP|MSXML2\.XMLHTTP|WinHttp\.WinHttpRequest|new\s+WebClient|HttpWebRequest/ nocase
        $visitor = /ServerVariables\s*\(\s*.{1,3}(HTTP_HOST|SERVER_NAME|SCRIPT_NAME|QUERY_STRING|URL|PATH_INFO|HTTP_USER_AGENT|HTTP_REFERER)|Request\s*\.\s*(Url|RawUrl|QueryString\s*\.\s*ToString|UserAgent)/ nocase
        $out = /Response\s*\.\s*(Write|BinaryWrite)|<%=\s*[a-z_]|\.CopyTo\s*\([^)]{0,40}Response\s*\.\s*OutputStream/ nocase
        $url = /=\s*"https?:\/\/[a-z0-9.\-]{4,100}(:[0-9]{2,5})?\/?[^"\r\n]{0,100}"/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and $h and $visitor and $out and $url
}

rule EXRAY_ASP_Execute_Assembled_String
{
    meta:
        title = "Web shell: Execute of a string assembled at run time"
        description = "A classic ASP page runs Execute/ExecuteGlobal on a variable or concatenation that it builds from pieces: character codes of a variable (Chr(x)), Split/Join of letter lists, StrReverse, chains of Replace, one- or two-letter appends, numeric arrays. The eval-request one-liner rewritten to dodge signatures; benign pages execute fixed code."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1027"
        verify = "assembled-exec"
    strings:
        $run = /(^|[\r\n:]|<%)[ \t]*(execute|executeglobal)([ \t]+|[ \t]*\([ \t]*)[a-z_][a-z0-9_]{0,40}[ \t]*(\)|&|\r|\n|:|%>)/ nocase
        $t1 = /chr[wb]?\s*\(\s*[a-z_][a-z0-9_]{0,30}\s*[()\-+*\/]/ nocase
        $t2 = /join\s*\(/ nocase
        $t3 = /strreverse\s*\(/ nocase
        $t4 = /=\s*[a-z_][a-z0-9_]{0,30}\s*&\s*"[a-z]{1,2}"\s*(\r|\n)/ nocase
        $t5 = /array\s*\(\s*([0-9]{2,3}\s*,\s*){3}/ nocase
        $t6 = /split\s*\(\s*"[a-z]{3,}"/ nocase
        $t7 = /replace\s*\(/ nocase
        $t9 = /"[a-z]"\s*,\s*"[a-z]"\s*,\s*"[a-z]"\s*,\s*"[a-z]"/ nocase
        $t10 = /"[a-z]([|,;][a-z]){3,}"/ nocase
        // server code: a <% %> block or a <script runat="server"> block
        $asp = /<%|<script[^>]{0,100}runat\s*=\s*["']?server/ nocase
    condition:
        $asp and $run and (any of ($t1, $t2, $t3, $t5, $t6, $t9, $t10) or #t4 >= 3 or #t7 >= 3)
}

rule EXRAY_ASP_Eval_Wrapper_Function
{
    meta:
        title = "Web shell: a function that evaluates its argument, fed from the request"
        description = "A classic ASP page defines a function whose body is Eval/Execute of its own parameter and feeds it request data: the eval one-liner split across a wrapper so that no 'eval request' appears."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003"
        // the wrapper's parameter must be fed by the request (an ERP's TryExecuteProc(name)
        // runs the procedure names it is given by its own code)
        verify = "request-to-exec"
    strings:
        $wrap = /(function|sub)\s+[a-z_][a-z0-9_]{0,30}\s*\(\s*(byval\s+)?[a-z_][a-z0-9_]{0,30}\s*\)[\s:]{0,10}(eval|execute|executeglobal)[\s(]{1,4}[a-z_][a-z0-9_]{0,30}[\s)]{0,4}(:|\r|\n|end\s+(function|sub))/ nocase
        $req = /[^a-z0-9_.]request\s*(\.\s*(item|form|querystring|cookies))?\s*[\[(]/ nocase
        // server code: a <% %> block or a <script runat="server"> block
        $asp = /<%|<script[^>]{0,100}runat\s*=\s*["']?server/ nocase
    condition:
        $asp and $wrap and $req
}

rule EXRAY_Dropper_Embedded_Page
{
    meta:
        title = "Web shell: page writes an embedded server page to disk"
        description = "A handler or page creates a script file (File.CreateText / StreamWriter / CreateTextFile on Server.MapPath(\"x.aspx\")) and writes a string literal that itself holds server code (<% ... %>, runat=server): a dropper that plants a second web shell."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "high"
        attack = "T1505.003, T1105"
    strings:
        $w = /(File\s*\.\s*(CreateText|WriteAllText|AppendAllText)|StreamWriter|CreateTextFile|OpenTextFile)\s*\(\s*[a-z_.]{0,30}MapPath\s*\(\s*"[^"\r\n]{1,80}\.(aspx|asp|ashx|asmx|asa|cer|cdx)"/ nocase
        // (a literal in code, not an attribute of the page's own markup: value="<%=request("x")%>")
        $lit = /([^a-z0-9_]=|[^=])"[^"\r\n]{0,200}<%[^"\r\n]{0,200}(eval|execute|request|process)/ nocase
        // a server-side include written into the new page pulls in code kept under another name
        $inc = /"[^"\r\n]{0,40}<!--\s*#include\s+(file|virtual)\s*=/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        any of ($srv*) and $w and ($lit or $inc)
}
rule EXRAY_Script_Page_Writer_Request
{
    meta:
        title = "Web shell: page writes request data into a server page it names"
        description = "A small server page creates a script file under a name fixed in its code (CreateTextFile / File.CreateText / StreamWriter on Server.MapPath(\"x.asp\")) and writes what the request carries into it: an uploader that turns any text the caller posts into a second web shell."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1105"
    strings:
        $w = /(File\s*\.\s*(CreateText|WriteAllText|AppendAllText)|StreamWriter|CreateTextFile|OpenTextFile)\s*\(\s*[a-z_.]{0,30}MapPath\s*\(\s*"[^"\r\n]{1,80}\.(aspx|asp|ashx|asmx|asa|cer|cdx|config)"/ nocase
        $req = /(context\.)?Request(\.Form|\.QueryString|\.Item|\.Params)?\s*[\[(]\s*"/ nocase
        // (a VBScript line commented out writes and reads nothing)
        $w_dead = /'[^\r\n'"]{0,120}(File\s*\.\s*(CreateText|WriteAllText|AppendAllText)|StreamWriter|CreateTextFile|OpenTextFile)\s*\(\s*[a-z_.]{0,30}MapPath\s*\(\s*"[^"\r\n]{1,80}\.(aspx|asp|ashx|asmx|asa|cer|cdx|config)"/ nocase
        $req_dead = /'[^\r\n'"]{0,120}Request(\.Form|\.QueryString|\.Item|\.Params)?\s*[\[(]\s*"/ nocase
        // (in JScript and C# a ' opens a literal, not a comment)
        $not_vbs = /language\s*=\s*["']?(jscript|javascript|c#|cs|csharp)/ nocase
        $write = /\.Write(Line)?[\s(]/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
        // a settings page reads its configuration page first and writes it back with one value
        // changed; a dropper writes a page it did not read
        // (a classic ASP settings page of .asp constants: read, then written within a few lines;
        // never a web.config or an .aspx, which droppers rewrite)
        $readback = /OpenTextFile\s*\(\s*[a-z_.]{0,30}MapPath\s*\(\s*"[^"\r\n]{1,80}\.(asp|inc)"\s*\)\s*(,\s*1\s*)?\)/ nocase
        $rewrite = /(CreateTextFile|OpenTextFile)\s*\(\s*[a-z_.]{0,30}MapPath\s*\(\s*"[^"\r\n]{1,80}\.(asp|inc)"\s*\)\s*,\s*(2|true)/ nocase
        // a settings page writes each request value between quotes, as a string constant of
        // the page it writes (`f.Write "Const a=" & Chr(34) & Trim(Request("a")) & Chr(34)`):
        // data, not code; a dropper writes what it is sent as code
        $w_req = /\.Write(Line)?[\s(][^\r\n]{0,80}request\s*\(/ nocase
        $w_quoted = /\.Write(Line)?[\s(][^\r\n]{0,80}(chr\s*\(\s*34\s*\)|"""")\s*&\s*((trim|cstr|replace)\s*\(\s*)?request\s*\(/ nocase
        // (one request value per written line: a second one may be written as it is)
        $w_req2 = /\.Write(Line)?[\s(][^\r\n]{0,200}[^a-z0-9_]request\s*\([^\r\n]{0,200}[^a-z0-9_]request\s*\(/ nocase
    condition:
        filesize < 16KB and any of ($srv*) and (#w > #w_dead or ($not_vbs and $w)) and (#req > #req_dead or ($not_vbs and $req)) and $write
            and not for any i in (1..#readback) : (
                for any j in (1..#rewrite) : (@rewrite[j] > @readback[i] and @rewrite[j] - @readback[i] < 1500)
            )
            and not (#w_req > 0 and #w_quoted == #w_req and not $w_req2)
}
rule EXRAY_NET_Precompiled_Class_Stub
{
    meta:
        title = "Web shell: page whose only code starts a class from a compiled assembly"
        description = "A server script block holds nothing but one field initialised with a new object of a class from outside the .NET framework, given a key-like string (WebAdmin2Y.x.y a = new WebAdmin2Y.x.y(\"add6bb58e139be10\")): the page is a stub, the shell is the class, compiled into an assembly in the application's bin folder. Look for that assembly."
        family = "generic"
        stage = "foothold"
        severity = "medium"
        confidence = "medium"
        attack = "T1505.003"
    strings:
        $stub = /<script[^>]{0,80}runat\s*=\s*["']?server["']?[^>]{0,40}>\s*([a-z_][a-z0-9_]{0,40}\.){1,5}[a-z_][a-z0-9_]{0,40}\s+[a-z_][a-z0-9_]{0,40}\s*=\s*new\s+([a-z_][a-z0-9_]{0,40}\.){1,5}[a-z_][a-z0-9_]{0,40}\s*\(\s*"[^"\r\n]{4,128}"\s*\)\s*;\s*<\/script>/ nocase
        $framework = /runat\s*=\s*["']?server["']?[^>]{0,40}>\s*(System|Microsoft)\./ nocase
    condition:
        filesize < 4KB and $stub and not $framework
}

rule EXRAY_Connection_Strings_Dump
{
    meta:
        title = "Web shell: page lists the application's connection strings (database credentials)"
        description = "A server page walks every connection string of the configuration (ConfigurationManager.ConnectionStrings, the web.config the page runs under) and writes each into its response: the database servers, accounts and passwords of the site, shown to whoever calls the page (SQL shells such as Sophie list them to pick one and run queries on it). An application uses its connection strings; it does not print them."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1552.001"
    strings:
        $cs = "ConnectionStrings" nocase
        $out1 = /Response\s*\.\s*Write\s*\(?[^\r\n;]{0,120}\.ConnectionString\b/ nocase
        $out2 = /<%=[^%\r\n]{0,120}\.ConnectionString\b/ nocase
        // every one of them: a loop over the collection or up to its count
        $all1 = /For\s+Each\s+[a-z_]\w{0,30}\s+(As\s+[\w.]{1,60}\s+)?In\s+[\w.]{0,60}ConnectionStrings/ nocase
        $all2 = /foreach\s*\([^)]{0,80}\bin\s+[\w.]{0,60}ConnectionStrings/ nocase
        $all3 = /\bFor\s+[a-z_]\w{0,30}\s+(As\s+Integer\s+)?=\s*0\s+To\s+[a-z_]\w{0,30}\s*\.\s*Count\b/ nocase
        $all4 = /for\s*\([^;]{0,60};[^;]{0,40}\.\s*Count\s*;/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        filesize < 128KB and any of ($srv*) and $cs and any of ($out*) and any of ($all*)
}

rule EXRAY_Credential_Logger
{
    meta:
        title = "Web shell: page records submitted passwords into a file"
        description = "A page takes a password field from the request and appends it, usually with the user name and client address, to a file (FileSystemObject OpenTextFile for appending, CreateTextFile, StreamWriter, File.AppendAllText): a credential harvester planted in a login path."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1056.003"
    strings:
        $pw = /request\s*(\.\s*(form|querystring|item|params))?\s*[\[(]\s*.{1,3}(pass|password|passwd|pwd|pw)\W/ nocase
        $f1 = /OpenTextFile\s*\([^\r\n]{1,200},\s*8\s*[,)]/ nocase
        $f2 = /AppendAllText|AppendText\s*\(|new\s+(System\s*\.\s*IO\s*\.\s*)?StreamWriter\s*\([^)\r\n]{1,200},\s*true/ nocase
        // (File.AppendAllText writes as it opens)
        $f3 = /AppendAll(Text|Lines)\s*\([^;\r\n]{0,300}[^a-z0-9_](p|pw|pwd|pass|passwd|password)\b/ nocase
        $w = /\.(writeline|write)[\s(]/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        filesize < 64KB and any of ($srv*) and $pw and any of ($f*) and ($w or $f3)
}

rule EXRAY_NET_Native_Process_Create
{
    meta:
        title = "Web shell: page starts processes through native Windows calls"
        description = "A server page imports CreateProcess / CreateProcessAsUser / CreateProcessWithLogonW / WinExec from kernel32 or advapi32 (DllImport) instead of System.Diagnostics.Process: a command shell that avoids the managed API that defenders watch."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1106"
    strings:
        $imp = /DllImport\s*\(\s*"?(kernel32|advapi32)/ nocase
        $f = /extern\s+[a-z_.]{1,30}\s+(CreateProcess[a-z]{0,20}|WinExec)\s*\(/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and $imp and $f
}

rule EXRAY_NET_PowerShell_Host
{
    meta:
        title = "Web shell: page hosts PowerShell and runs script text"
        description = "A server page creates a PowerShell runspace or pipeline (RunspaceFactory, PowerShell.Create, CreatePipeline) and adds script text to it (AddScript, Commands.AddScript): a PowerShell console in a page, whatever the input control is called."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1059.001"
    strings:
        $ps1 = /RunspaceFactory\s*\.\s*CreateRunspace/ nocase
        $ps2 = /PowerShell\s*\.\s*Create\s*\(/ nocase
        $add = /AddScript\s*\(|CreatePipeline\s*\(/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        any of ($srv*) and any of ($ps*) and $add
}

rule EXRAY_NET_Reverse_Shell
{
    meta:
        title = "Web shell: page connects out and pipes a command shell through the socket"
        description = "A server page opens a TCP connection and starts cmd.exe/powershell with redirected input and output, relaying the socket to the process: a reverse shell launched by requesting the page."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1059.003, T1571"
    strings:
        $sock = /new\s+(System\.Net\.Sockets\.)?(Socket|TcpClient)\s*\(/ nocase
        $conn = /\.Connect\s*\(|TcpClient\s*\(\s*[a-z_"]/ nocase
        $proc = /ProcessStartInfo|Process\s*\.\s*Start\s*\(|new\s+(System\.Diagnostics\.)?Process\s*\(\s*\)|\.StartInfo\s*\.\s*FileName/ nocase
        $redir = /RedirectStandard(Input|Output)/ nocase
        $cmd = /cmd(\.exe)?"|powershell(\.exe)?"|"\/c\s/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and $sock and $conn and $proc and $redir and $cmd
}

rule EXRAY_SEO_Cloaking_Relay
{
    meta:
        title = "Suspicious: search-engine cloaking (remote content for crawlers)"
        description = "Server code (often Global.asax/global.asa) checks whether the visitor is a search-engine crawler (googlebot, baiduspider, ...) and serves content fetched from a remote server: SEO spam planted on a compromised site. Not a command shell; someone had write access to the web root."
        family = "generic"
        stage = "foothold"
        severity = "medium"
        confidence = "medium"
        attack = "T1505.003"
        verify = "fetched-relay"
    strings:
        $bot = /googlebot|baiduspider|sogou\s*(web)?\s*spider|bingbot|yahoo!?\s*slurp/ nocase
        $fetch = /(Server)?XMLHTTP|WinHttp\.WinHttpRequest|WebClient|HttpWebRequest|WebRequest\s*\.\s*Create/ nocase
        $out = /Response\s*\.\s*(Write|BinaryWrite|Redirect)|<%=\s*[a-z_]|\.CopyTo\s*\([^)]{0,40}Response\s*\.\s*OutputStream/ nocase
        $url = /"https?:\/\/[^"\r\n]{4,200}"/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and $bot and $fetch and $out and $url
}

rule EXRAY_XAMLX_Workflow_Code
{
    meta:
        title = "Web shell: XAML workflow service that runs code"
        description = "A .xamlx WorkflowService whose expressions start processes or load code (System.Diagnostics.Process.Start, WScript.Shell, Assembly.Load): IIS compiles and runs it like a page, so it is a web shell under an extension upload filters forget."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003"
    strings:
        $wf = "<WorkflowService" nocase
        $x1 = /Process\s*\.\s*Start\s*\(/ nocase
        $x2 = "WScript.Shell" nocase
        $x3 = /Assembly\s*\.\s*Load/ nocase
    condition:
        $wf and any of ($x*)
}

rule EXRAY_ASP_Session_Key_Xor_Channel
{
    meta:
        title = "Web shell: ASP code encrypts its traffic with a session-held XOR key"
        description = "Classic ASP code XORs data byte by byte with a 16-byte key kept in the session (Chr(Asc(Mid(data,i,1)) Xor Asc(Mid(key,(i and 15)+1,1)))): the encrypted channel of the Behinder (冰蝎) ASP shell and its payload modules."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1573.001"
    strings:
        $xor = /xor\s+ascb?\s*\(\s*midb?\s*\(\s*[a-z_][a-z0-9_]{0,20}\s*,\s*\(\s*[a-z_][a-z0-9_]{0,20}\s+and\s+15\s*\)/ nocase
        $key = /session\s*\(\s*"[a-z0-9_]{1,20}"\s*\)/ nocase
    condition:
        $xor and $key
}

rule EXRAY_SQL_Console_Input
{
    meta:
        title = "Web shell: database console (connection and SQL both from the caller)"
        description = "A server page opens a database connection whose connection string comes from the request or a text box and runs SQL that also comes from the request or a text box: a database dump/administration console planted on the server."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1213"
    strings:
        $conn = /(SqlConnection|OleDbConnection|OdbcConnection)\s*\(\s*(this\.)?([a-z_][a-z0-9_]{0,30}\.Text\b|request\s*[\[(.])/ nocase
        $cmd = /(SqlCommand|OleDbCommand|OdbcCommand|SqlDataAdapter|OleDbDataAdapter)\s*\(\s*(this\.)?([a-z_][a-z0-9_]{0,30}\.Text\b|request\s*[\[(.])/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and $conn and $cmd
}

rule EXRAY_RDP_Port_Registry_Read
{
    meta:
        title = "Web shell: server script reads the RDP port from the registry"
        description = "Server-side script reads PortNumber of Terminal Server\\WinStations\\RDP-Tcp through WScript.Shell RegRead or the .NET registry API: the host reconnaissance step of ASP/ASPX shells and their helper modules (find the remote-desktop port before pivoting). Web applications do not read it. Also matches the helper modules that run inside a shell and carry no <% %> of their own."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1012"
    strings:
        $key = /Terminal Server\\{1,2}WinStations\\{1,2}RDP-Tcp/ nocase ascii wide
        $val = "PortNumber" nocase ascii wide
        $read1 = /\.RegRead\s*\(?/ nocase
        $read2 = /OpenSubKey\s*\(/ nocase
        $read3 = /\.GetValue\s*\(/ nocase
    condition:
        $key and $val and any of ($read*)
}

rule EXRAY_SQLOLEDB_Port_Probe
{
    meta:
        title = "Web shell: TCP ports probed through SQL Server OLE DB connections"
        description = "Server-side script builds an OLE DB / SQL connection string whose Data Source is a host and a port assembled from variables, with a very short connection timeout, and tells open from closed ports by the connection error number (-2147217843 login failed, -2147467259 not reachable): the port scanner of ASP shells and shell plugins, run from inside the victim's network. Database pages connect to a configured server and do not sort error numbers that way."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1046"
    strings:
        $ds = /Data Source\s*=\s*["']?\s*[&+]\s*[a-z_][a-z0-9_.]{0,30}(\s*\([^)]{0,20}\))?\s*[&+]\s*["'],["']\s*[&+]/ nocase
        $timeout = /ConnectionTimeout\s*=\s*[0-5]\b/ nocase
        $e1 = "-2147217843"
        $e2 = "-2147467259"
    condition:
        $ds and $timeout and any of ($e*)
}

rule EXRAY_IIS_Metabase_Password_Read
{
    meta:
        title = "Web shell: page reads IIS account passwords from the metabase"
        description = "A server page walks the IIS metabase (IIS://localhost/W3SVC through ADSI / DirectoryEntry or GetObject) and reads the AnonymousUserPass or WAMUserPass property: the credential-theft routine of AspxSpy-style shells and stand-alone IIS password readers. A page that only sets these properties (a hosting panel creating sites) does not match."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1552.001"
    strings:
        $adsi = /IIS:\/\/localhost\/W3SVC/ nocase ascii wide
        $p1 = "AnonymousUserPass" nocase ascii wide
        $p2 = "WAMUserPass" nocase ascii wide
        $set = /(AnonymousUserPass|WAMUserPass)["'\]) ]{0,3}(\.\s*Value)?\s*=\s*[^=]/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and $adsi and any of ($p*) and not $set
}
rule EXRAY_ASP_Component_Probe
{
    meta:
        title = "Recon page: classic ASP probe of which COM components the server has"
        description = "A classic ASP page tries to create many third-party upload and mail components by name (Persits.Upload, SoftArtisans.FileUp, LyfUpload, JMail, …) together with WScript.Shell, errors suppressed, to learn what the server offers: the server probe (探针) of shell kits, run before choosing an uploader or a way to execute commands. No legitimate page on an Exchange server does this."
        family = "generic"
        stage = "foothold"
        severity = "medium"
        confidence = "medium"
        attack = "T1505.003, T1518"
    strings:
        $c1 = "Persits.Upload" nocase
        $c2 = "SoftArtisans.FileUp" nocase
        $c3 = "LyfUpload" nocase
        $c4 = "w3.upload" nocase
        $c5 = "JMail" nocase
        $c6 = "Persits.MailSender" nocase
        $c7 = "CDONTS.NewMail" nocase
        $c8 = "SoftArtisans.ImageGen" nocase
        $c9 = "Persits.Jpeg" nocase
        $c10 = "aspSmartUpload" nocase
        $c11 = "Dundas.Upload" nocase
        $c12 = "SoftArtisans.FileManager" nocase
        $shell = "WScript.Shell" nocase
        $quiet = /On\s+Error\s+Resume\s+Next/ nocase
        // server code: a <% %> block or a <script runat="server"> block
        $asp = /<%|<script[^>]{0,100}runat\s*=\s*["']?server/ nocase
        // an application's own server-information page (its admin includes the application's
        // files); the probes of shell kits stand alone
        $app_inc = /<!--\s*#include\s+(file|virtual)\s*=/ nocase
    condition:
        $asp and $shell and $quiet and 5 of ($c*) and not $app_inc
}
rule EXRAY_Windows_Account_Tamper
{
    meta:
        title = "Web shell: page creates Windows accounts or changes group membership"
        description = "A server page creates a local or domain account, sets its password or adds members to a group (AccountManagement UserPrincipal/GroupPrincipal, ADSI WinNT:// or LDAP:// Create/SetPassword/Add, net user /add): the persistence step of a shell that makes itself an administrator or a Remote Desktop user."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "medium"
        attack = "T1505.003, T1136.001, T1098"
    strings:
        $a1 = /new\s+(System\.DirectoryServices\.AccountManagement\.)?UserPrincipal\s*\(/ nocase
        $a2 = /GroupPrincipal\s*\.\s*FindByIdentity[^;\r\n]{0,200}[\r\n]{0,2}[^;\r\n]{0,200}\.Members\s*\.\s*Add\s*\(/ nocase
        $a3 = /\.Members\s*\.\s*Add\s*\(/ nocase
        $a4 = /\.SetPassword\s*\(/ nocase
        $a5 = /\.Create\s*\(\s*"user"/ nocase
        $a6 = /\.Invoke\s*\(\s*"(Add|SetPassword)"/ nocase
        $a7 = /net(1)?(\.exe)?\s+(user\s+[^\r\n"]{1,60}\/add|localgroup\s+[^\r\n"]{1,60}\/add)/ nocase
        $prov = /"WinNT:\/\/|"LDAP:\/\/|PrincipalContext\s*\(/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and ($a7 or ($prov and 2 of ($a*)) or $a2)
}
rule EXRAY_ADSI_Local_Enumeration
{
    meta:
        title = "Recon page: local users and groups listed through ADSI WinNT://"
        description = "A classic ASP or ASP.NET page binds the WinNT:// provider of the machine (GetObject(\"WinNT://…\"), DirectoryEntry(\"WinNT://…\")) and walks its users or groups: the account recon of shell kits. No page of an Exchange server does this."
        family = "generic"
        stage = "foothold"
        severity = "medium"
        confidence = "medium"
        attack = "T1505.003, T1087.001"
    strings:
        $bind = /(GetObject|DirectoryEntry)\s*\(\s*"WinNT:\/\// nocase
        $walk = /For\s+Each\s+[a-z_][a-z0-9_]{0,30}\s+In\s+[a-z_][a-z0-9_]{0,30}|\.Children\b|\.Class\s*=\s*"(User|Group)"|SchemaClassName/ nocase
        // an intranet application reading the signed-in user's own groups binds that user
        $authuser = /ServerVariables\s*\(\s*"(AUTH_USER|LOGON_USER|REMOTE_USER)"|User\s*\.\s*Identity\s*\.\s*Name/ nocase
        $machine = /"WinNT:\/\/\.|WinNT:\/\/"\s*[&+]\s*[^\r\n]{0,40}(ComputerName|MachineName)/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and (not $authuser or $machine) and for any i in (1..#bind) : (for any j in (1..#walk) : (@walk[j] > @bind[i] and @walk[j] < @bind[i] + 1500))
}
rule EXRAY_Reserved_Device_Name_Page
{
    meta:
        title = "Web shell persistence: a script page under a reserved device name"
        description = "A page names a script file whose name is a DOS device (lpt1, com1, aux, nul, con, prn) reached through the \\\\.\\ prefix (\\\\.\\d:\\web\\lpt1.x.asp): Explorer and ordinary tools cannot open or delete such a file, so shell kits hide their 'undying' shells under these names; a page that writes, reads or deletes one is part of that kit."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "high"
        attack = "T1505.003, T1564"
    strings:
        $dev = /\\\\\.\\[a-z]:\\[^"\r\n]{0,200}\\(lpt[1-9]|com[1-9]|aux|nul|con|prn)\.[^"\\\r\n]{0,40}\.(asp|aspx|asa|cer|cdx|ashx|asmx)"/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and $dev
}
rule EXRAY_Include_Of_Non_Script_File
{
    meta:
        title = "Web shell: page that only includes a file with a non-script name"
        description = "A classic ASP page whose whole content is a server-side include of a .txt, image, style or data file (<!--#include file=\"x.txt\"-->): the include runs whatever the included file holds as script, so the code sits in a file that scanners and reviewers skip as text. Read the included file."
        family = "generic"
        stage = "foothold"
        severity = "medium"
        confidence = "medium"
        attack = "T1505.003, T1027"
    strings:
        $inc = /^\s*<!--\s*#include\s+(file|virtual)\s*=\s*"[^"\r\n]{1,120}\.(txt|jpg|jpeg|gif|png|bmp|ico|css|log|dat|rar|zip|doc|pdf)"\s*-->\s*$/ nocase
    condition:
        filesize < 300 and $inc
}
rule EXRAY_ASP_Command_Output_Page
{
    meta:
        title = "Web shell: classic ASP page that runs a command and prints its output"
        description = "A classic ASP page creates WScript.Shell, runs a command with Exec and writes the command's standard output into the response as it reads it: a command page, even where the command is still a placeholder or comes from elsewhere."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1059.003"
    strings:
        $obj = /CreateObject\s*\(\s*"WScript\.Shell/ nocase
        $exec = /\.Exec\s*\(/ nocase
        $out = /\.StdOut\s*\.\s*ReadAll/ nocase
        $resp = /Response\s*\.\s*Write/ nocase
        // server code: a <% %> block or a <script runat="server"> block
        $asp = /<%|<script[^>]{0,100}runat\s*=\s*["']?server/ nocase
    condition:
        // the output written where it is read (`Response.Write e.StdOut.ReadAll`, or a variable
        // set from it written within some 1,500 bytes), not a monitor that reads a ping's output
        // to test it and prints its own verdict pages further down
        filesize < 16KB and $asp and $obj and $exec and
        for any i in (1..#out) : (
            for any j in (1..#resp) : (@resp[j] + 1500 > @out[i] and @resp[j] < @out[i] + 1500)
        )
}
rule EXRAY_NET_Unicode_Escaped_Code
{
    meta:
        title = "Web shell: C# server code spelled with Unicode escapes"
        description = "Identifiers of a page's server code (namespaces, Request, Assembly, Load, …) are written as \\uXXXX / \\UXXXXXXXX escapes, which the C# compiler accepts in identifiers: no page is written that way except to hide its calls from signatures."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1027"
    strings:
        // four or more escaped letters in a row, used as code: followed by . ( [ or a quote of a directive
        $ident = /(\\u00[4-7][0-9a-f]|\\U000000[4-7][0-9a-f]){4,}\s*[.(\[]/ nocase
        $dir = /<%@\s*Import\s+Namespace\s*=\s*"(\\u00[4-7][0-9a-f]){3,}/ nocase
        // an escaped letter followed by an escaped zero-width or format character (U+200B..200F,
        // U+180B..180E, U+2060, U+FEFF), which the compiler drops from identifiers
        $zw_esc = /(\\u00[4-7][0-9a-f]|\\U000000[4-7][0-9a-f])\\(U0000|u)(200[b-f]|180[b-e]|2060|feff)/ nocase
        // or the zero-width characters themselves, raw in UTF-8, between letters of code
        $zw_raw = /[a-zA-Z]\xE2\x80[\x8B-\x8F][a-zA-Z]/
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and (#ident >= 2 or $dir or #zw_esc >= 3 or #zw_raw >= 3)
}
rule EXRAY_Page_Embedded_Executable
{
    meta:
        title = "Dropper: server page carrying a Windows executable as text"
        description = "A server page holds the start of a Windows PE file (MZ header, DOS stub) spelled as hex or base64 text: it writes a program to disk to run it (a tool, a privilege-escalation exploit, a tunnel). Pages do not carry executables."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "high"
        attack = "T1505.003, T1105"
    strings:
        $hex = "4d5a90000300000004000000ffff0000" nocase
        $hex_sep = /4d[^0-9a-z\r\n]{1,4}5a[^0-9a-z\r\n]{1,4}90[^0-9a-z\r\n]{1,4}00[^0-9a-z\r\n]{1,4}03[^0-9a-z\r\n]{1,4}00/ nocase
        $b64 = "TVqQAAMAAAAEAAAA//8AAL"
        // the same bytes as character codes or array items: Chr(77)&Chr(90)&Chr(144), {77, 90, 144, 0, 3,
        // 0x4d, 0x5a, 0x90, 0x00, 0x03
        $chr = /chr[wb]?\s*\(\s*77\s*\)\s*[&+]\s*chr[wb]?\s*\(\s*90\s*\)\s*[&+]\s*chr[wb]?\s*\(\s*144\s*\)/ nocase
        $dec = /[^0-9.]77\s*,\s*90\s*,\s*144\s*,\s*0\s*,\s*3\s*,\s*0\s*,/
        $hex0x = /0x4d\s*,\s*0x5a\s*,\s*0x90\s*,\s*0x0?0\s*,\s*0x0?3\s*,/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and any of ($hex, $hex_sep, $b64, $chr, $dec, $hex0x)
}

rule EXRAY_Named_Pipe_Relay
{
    meta:
        title = "Tunnel: page relays HTTP bodies to and from a named pipe"
        description = "A server page opens a named pipe (NamedPipeClientStream or NamedPipeServerStream), writes the raw request body into it and answers with what it reads back: a C2 channel bridged through the web server to an implant's pipe on the host or the internal network (an SMB beacon, a pipe-based shell), so the traffic looks like requests to one page."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1090.001, T1572"
    strings:
        $pipe = /NamedPipe(Client|Server)Stream/ nocase
        $in = /Request\s*\.\s*(BinaryRead|InputStream|GetBufferlessInputStream)/ nocase
        $out = /Response\s*\.\s*(BinaryWrite|OutputStream)/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        filesize < 256KB and any of ($srv*) and $pipe and $in and $out
}

rule EXRAY_Membership_Password_Dump
{
    meta:
        title = "Web shell: page shows the passwords of the application's users"
        description = "A server page enumerates the application's users (DotNetNuke's UserController, ASP.NET Membership) and decrypts their passwords (GetPassword) into the page: a credential dumper dropped beside the application, often showing the super users first. Applications mail a forgotten password to its owner; they do not list users with their passwords."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1555"
    strings:
        $gp = /\.GetPassword\s*\(/ nocase
        // every user, not the one a reminder is for
        $users = /[^a-z0-9_](GetUsers|GetAllUsers|GetUsersByRole|GetSuperUsers)\s*\(/ nocase
        $loop = /for\s*each|foreach\s*\(/ nocase
        $show = /\.(Text|InnerHtml|InnerText)\s*(\+=|&=|=)|Response\s*\.\s*Write/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        filesize < 64KB and any of ($srv*) and $gp and $users and $loop and $show
}

rule EXRAY_NET_Impersonate_Request_Logon
{
    meta:
        title = "Web shell: page logs on with credentials the caller sends and acts as that account"
        description = "A server page calls LogonUser with a user name and password from the request or its text boxes and impersonates the token (WindowsIdentity.Impersonate, ImpersonateLoggedOnUser): a run-as shell that lists files or starts commands as any account whose password the attacker holds. Applications that impersonate use their configured service account."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1134.001"
        verify = "request-to-logon"
    strings:
        $logon = /LogonUser[AW]?\s*\(/ nocase
        $imp = /\.Impersonate\s*\(|ImpersonateLoggedOnUser|RunImpersonated\s*\(/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        any of ($srv*) and $logon and $imp
}
