/*
    exray built-in rules: pages that run operating-system commands.
*/

rule EXRAY_NET_Process_Start_Cmd
{
    meta:
        title = "Web shell: ASP.NET page starts cmd.exe/powershell with caller input"
        description = "An ASPX/ASHX/ASMX page starts a process (Process.Start, ProcessStartInfo, StartInfo.FileName) for cmd.exe, powershell or a caller-chosen program with arguments from the request or a form field."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1059.003"
    strings:
        $p1 = "ProcessStartInfo" nocase
        $p2 = /Process\s*\.\s*Start\s*\(/ nocase
        $p3 = /StartInfo\s*\.\s*(FileName|Arguments)/ nocase
        $p4 = /new\s+(System\.Diagnostics\.)?Process\s*\(/ nocase
        $cmd1 = "cmd.exe" nocase
        $cmd2 = /["']\/c\s/ nocase
        $cmd3 = "powershell" nocase
        $cmd4 = /["']cmd["']/ nocase
        $cmd5 = "RedirectStandardOutput" nocase
        $in1 = /request(\s*\.\s*(item|form|querystring|params|headers|cookies|get)){0,3}\s*[\[(]/ nocase
        $in2 = /<asp:TextBox/ nocase
        $in3 = /\.Text\s*[,;)+]/ nocase
        $in4 = /\[WebMethod|<WebMethod/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
        $srv4 = "WebMethod" nocase
    condition:
        any of ($p*) and any of ($cmd*) and any of ($in*) and any of ($srv*)
}

rule EXRAY_ASP_WScript_Shell_Exec
{
    meta:
        title = "Web shell: ASP page runs commands through WScript.Shell / Shell.Application"
        description = "A classic ASP page creates WScript.Shell (Exec/Run) or Shell.Application (ShellExecute) and runs a cmd /c string or a command on a page that reads the request. A page whose one command is a ping of the loopback address or Windows' timeout (VBScript's ways to wait: the command on the call's line, or in the name it runs) is not counted. A page that makes the object only to read the environment or the registry in place (`.ExpandEnvironmentStrings`, `.RegRead`) runs nothing."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1059.003"
    strings:
        $obj1 = "WScript.Shell" nocase
        $obj2 = "Shell.Application" nocase
        $obj3 = "72C24DD5-D70A-438B-8A42-98424B88AFB8" nocase
        $obj4 = "13709620-C279-11CE-A49E-444553540000" nocase
        // (a call on an object, not the name in a literal: a server probe's
        // `Execute name & ".exec()"` tests that the object can be created and runs nothing)
        $run1 = /[^"'.]\.exec\s*\(/ nocase
        $run2 = /[^"'.]\.run\s*[\s(]/ nocase
        $run3 = "ShellExecute" nocase
        // or by name, late bound: CallByName(o, "Exec", …), t.InvokeMember("Run", …)
        $run4 = /CallByName\s*\([^,\r\n]{1,60},\s*"(exec|run)"/ nocase
        $run5 = /InvokeMember\s*\(\s*"(exec|run)"/ nocase
        $in1 = /request(\s*\.\s*(item|form|querystring|params|headers|cookies|get)){0,3}\s*[\[(]/ nocase
        $in2 = /(cmd(\.exe)?|%comspec%)\s*(\/[a-z]\s+)*\/c/ nocase
        $in3 = /CreateTextFile\s*\(\s*"[^"\r\n]{1,200}\.(vbs|bat|cmd|ps1|js|exe)"/ nocase
        // VBScript has no sleep: `ping -n 3 127.0.0.1` run through the shell is the idiom for a
        // delay (in code, not a comment; with no request read after it on its line)
        // (or Windows' own `timeout N /nobreak`)
        $sleep = /(^|[\r\n])[^'\r\n]{0,200}(ping\s[^\r\n']{0,60}(127\.0\.0\.1|localhost)|timeout(\.exe)?\s[^\r\n']{0,60}\/(nobreak|t\s))/ nocase
        $sleep_req = /(ping\s[^\r\n]{0,60}(127\.0\.0\.1|localhost)|timeout(\.exe)?\s[^\r\n']{0,60}\/(nobreak|t\s))[^\r\n]{0,200}request/ nocase
        // the three calls above as one, for the exemption below
        $call = /[^"'.]\.exec\s*\(|[^"'.]\.run\s*[\s(]|ShellExecute/ nocase
        // a call that builds its command on its own line runs that command, not a ping written
        // on another line
        $builds = /(\.exec\s*\(|\.run\s*[\s(]|shellexecute\s*[\s(])\s*\(?\s*"[^"\r\n]{0,200}"\s*[&+]/ nocase
        // the object made only to read the environment or the registry in place
        // (`With CreateObject("WScript.Shell")` … `.ExpandEnvironmentStrings(n)`): nothing runs
        $env_use = /WScript\.Shell["']\s*\)(\s*|\s*[\r\n]+[^\r\n.]{0,60})\.\s*(ExpandEnvironmentStrings|RegRead|SpecialFolders|Environment)\b/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($obj*) and any of ($run*) and any of ($srv*) and
        any of ($in*) and
        not (#env_use == #obj1 and not any of ($obj2, $obj3, $obj4)) and
        // the page's one command is that ping, written just above the call or in it
        not (not $sleep_req and #call == 1 and
            for any i in (1..#sleep) : (@sleep[i] + 300 > @call[1] and @sleep[i] < @call[1] + 200 and
                (not $builds or (@sleep[i] < @call[1] and @sleep[i] + !sleep[i] > @call[1]))))
}

rule EXRAY_Request_Process_Flow
{
    meta:
        title = "Web shell: request data flows into a process command line"
        description = "A server page starts a process (Process.Start, a ProcessStartInfo's FileName/Arguments, the Exec/Run/ShellExecute of a WScript.Shell or Shell.Application it created, WMI Win32_Process.Create, VB Shell, WinExec, a component's RemoteWinExec, ShellExecute or CreateProcess imported by P/Invoke, under their names or an alias of the page's own) and the page's own assignments, functions and collections carry request data into the command line, whatever the names in between and whether or not it runs cmd.exe or shows the output. An application does not start programs named by its visitors."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1059"
        verify = "request-to-process"
    strings:
        $p1 = "ProcessStartInfo" nocase
        $p2 = /Process\s*\.\s*Start\s*\(/ nocase
        $p3 = "WScript.Shell" nocase
        $p4 = "Shell.Application" nocase
        $p5 = "72C24DD5-D70A-438B-8A42-98424B88AFB8" nocase
        $p6 = "13709620-C279-11CE-A49E-444553540000" nocase
        $p7 = "Win32_Process" nocase
        $p8 = /[^.a-z0-9_]Shell\s*\(/ nocase
        $p9 = /StartInfo\s*\.\s*(FileName|Arguments)/ nocase
        $p10 = /Interaction\s*\.\s*Shell\s*\(/ nocase
        $p11 = "WinExec" nocase
        // shell32's ShellExecute and kernel32's CreateProcess imported by P/Invoke
        $p12 = /ShellExecute|CreateProcess/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
        // the code of a page kept apart from it: a code-behind class or an App_Code module
        $srv_code = /(:|\bInherits)\s*[\w.]{0,60}(Page|PageBase|UserControl|MasterPage)\b|\bIHttpModule\b|:\s*(System\.Web\.)?HttpApplication\b/ nocase
        $srv4 = "WebMethod" nocase
    condition:
        any of ($srv*) and any of ($p*)
}

rule EXRAY_XSLT_Script_Exec
{
    meta:
        title = "Web shell: XSLT with an embedded script block used to run code"
        description = "A page loads an XSL stylesheet with an msxsl:script block that creates WScript.Shell, evaluates request data or starts processes: code execution hidden in a transform."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1220"
    strings:
        $xsl_block = "msxsl:script" nocase
        $x1 = "wscript.shell" nocase
        $x2 = /eval\s*\(/ nocase
        $x3 = "Process" nocase
        $x4 = "ActiveXObject" nocase
        $t1 = "TransformNode" nocase
        $t2 = "XslCompiledTransform" nocase
        $t3 = "TrustedXslt" nocase
        $srv = "<%"
        // the stylesheet arrives with the request or in a text box, script enabled for it
        $on1 = /new\s+(System\.Xml\.Xsl\.)?XsltSettings\s*\(\s*(true|false)\s*,\s*true\s*\)|EnableScript\s*=\s*true/ nocase
        $on2 = /\.LoadXml\s*\(/ nocase
        $on3 = /Request\s*[\[(.]|\.Text\b|FromBase64String/ nocase
        $srv2 = "runat" nocase
    condition:
        ($xsl_block and any of ($x*) and any of ($t*) and $srv) or
        ($t2 and $on1 and $on2 and $on3 and ($srv or $srv2))
}

rule EXRAY_XSLT_Request_Stylesheet
{
    meta:
        title = "Web shell: the caller's text is the XSLT stylesheet the page runs"
        description = "A server page loads the stylesheet of a transform from request data (MSXML: a document loaded with the request's text and passed to transformNode; .NET: XslTransform, or XslCompiledTransform with scripts enabled, loading a reader on request text). An msxsl:script block in that stylesheet runs as the page: the classic XSLT one-liner, a shell with no eval or process call in its own code. A report page transforms with stylesheets of its own."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1220"
        verify = "request-to-xslt"
    strings:
        $t1 = /transformNode(ToObject)?\b/ nocase
        $t2 = /\bXslTransform\b/ nocase
        $t3 = "XslCompiledTransform" nocase
        $t4 = "XSLTemplate" nocase
        // XslCompiledTransform runs msxsl:script only when told to (its second argument, by
        // position or name, true or a variable)
        $on = /XsltSettings\s*\([^,)]{1,60},\s*(enableScript\s*:\s*)?(true|[a-eg-z_]\w*)\s*\)|EnableScript\s*=\s*true|XsltSettings\s*\.\s*TrustedXslt/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        any of ($srv*) and ($t1 or $t2 or $t4 or ($t3 and $on))
}

rule EXRAY_SQL_Shell_Request_Flow
{
    meta:
        title = "Web shell: request data runs as an operating-system command through SQL Server"
        description = "A server page runs SQL that executes a command on the database server (xp_cmdshell, or sp_OACreate of WScript.Shell and sp_OAMethod) and the page's own assignments carry request data into that SQL: a command shell that goes through the database, often run where the database account is more privileged than the web's. An application's filter lists xp_cmdshell among forbidden words; it does not run it."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1059"
        verify = "request-in-shell-sql"
    strings:
        $x1 = "xp_cmdshell" nocase
        $x2 = "sp_oacreate" nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        any of ($srv*) and any of ($x*)
}

rule EXRAY_Shell_Toolkit
{
    meta:
        title = "Web shell: multi-function attacker toolkit page"
        description = "A server page that combines several attacker capabilities: command execution objects (WScript.Shell, Shell.Application, cmd.exe), SQL Server command execution (xp_cmdshell, sp_oacreate), account and service tampering (net user, Serv-U), drive enumeration and raw file access. Typical of the large ASP/ASPX web shells (\"big horse\" kits, AspxSpy and relatives). The names in an installer's or a probe's component table, each ProgID beside its library (`\"WScript.Shell\",\"wshom.ocx\"`), are not counted."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003"
    strings:
        $k1 = "WScript.Shell" nocase
        $k2 = "Shell.Application" nocase
        $k3 = "xp_cmdshell" nocase
        $k4 = "cmd.exe" nocase
        $k5 = "net user" nocase
        $k6 = "Serv-U" nocase
        $k7 = "sp_oacreate" nocase
        $k8 = "WScript.Network" nocase
        $k9 = "GetLogicalDrives" nocase
        $k10 = "localgroup administrators" nocase
        $k11 = "Terminal Server" nocase
        $k12 = "SeDebugPrivilege" nocase
        $k13 = "sp_makewebtask" nocase
        $k14 = "xp_regread" nocase
        $k15 = "ServerVariables(\"LOCAL_ADDR\")" nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        // an injection filter that lists the attacker's words to refuse them:
        // InStr(LCase(s), "xp_cmdshell") > 0 Or InStr(…, "net user") …
        $filter = /instr\s*\([^,\r\n]{1,60},\s*"[^"\r\n]{0,20}(xp_cmdshell|net user|localgroup administrators|cmd\.exe|sp_oacreate|xp_regread|sp_makewebtask|wscript\.shell)/ nocase
        // an installer's or a probe's table of components, each ProgID beside its library
        // (`array("WScript.Shell","wshom.ocx",…)`): a name in a list, not an object made
        $t1 = /"WScript\.Shell"\s*,\s*"[^"\r\n]{1,40}\.(dll|ocx)"/ nocase
        $t2 = /"Shell\.Application"\s*,\s*"[^"\r\n]{1,40}\.(dll|ocx)"/ nocase
        $t8 = /"WScript\.Network"\s*,\s*"[^"\r\n]{1,40}\.(dll|ocx)"/ nocase
    condition:
        any of ($srv*) and
            // three capabilities, the three COM objects counted only outside such a table
            (3 of ($k3, $k4, $k5, $k6, $k7, $k9, $k10, $k11, $k12, $k13, $k14, $k15) or
             (2 of ($k3, $k4, $k5, $k6, $k7, $k9, $k10, $k11, $k12, $k13, $k14, $k15) and
                 (#k1 > #t1 or #k2 > #t2 or #k8 > #t8)) or
             (1 of ($k3, $k4, $k5, $k6, $k7, $k9, $k10, $k11, $k12, $k13, $k14, $k15) and
                 ((#k1 > #t1 and #k2 > #t2) or (#k1 > #t1 and #k8 > #t8) or (#k2 > #t2 and #k8 > #t8))) or
             (#k1 > #t1 and #k2 > #t2 and #k8 > #t8))
            and (#filter < 2 or 2 of ($k2, $k6, $k8, $k9, $k11, $k12, $k15))
}

rule EXRAY_NET_Registry_Walk
{
    meta:
        title = "Attacker tool: page enumerates every registry hive"
        description = "A server page pushes all registry roots (ClassesRoot, CurrentUser, LocalMachine, Users, CurrentConfig) and walks them: reconnaissance for paths and credentials from a web shell."
        family = "generic"
        stage = "foothold"
        severity = "medium"
        confidence = "medium"
        attack = "T1505.003, T1012"
    strings:
        $h1 = "Registry.ClassesRoot"
        $h2 = "Registry.CurrentUser"
        $h3 = "Registry.LocalMachine"
        $h4 = "Registry.Users"
        $h5 = "Registry.CurrentConfig"
        $walk = "GetSubKeyNames"
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and 4 of ($h*) and $walk
}

rule EXRAY_ASP_ServerVariables_Dump
{
    meta:
        title = "Suspicious: page dumps every server variable"
        description = "A small classic ASP page loops over all Request.ServerVariables and prints them: a reconnaissance page (paths, accounts, internal addresses) often dropped with or before a web shell."
        family = "generic"
        stage = "foothold"
        severity = "medium"
        confidence = "low"
        attack = "T1505.003, T1082"
    strings:
        // a statement, not a line commented out with ' or Rem: the loop opens its line, follows
        // `<%` or a `:` separator
        $loop = /(^|[\r\n:%>])[ \t]*For\s+Each\s+[a-z_][a-z0-9_]{0,30}\s+In\s+Request\.ServerVariables/ nocase
        // each variable printed as the loop goes (not picked over for a log line)
        $print = /Response\s*\.\s*Write|<%=/ nocase
        $inc = /<!--\s*#include\s/ nocase
        // server code: a <% %> block or a <script runat="server"> block
        $asp = /<%|<script[^>]{0,100}runat\s*=\s*["']?server/ nocase
        // behind a debug switch the application sets (`If Application("Debug") = 1 Then`)
        $app_switch = /\bIf\s+Application\s*\(/ nocase
    condition:
        filesize < 16KB and $asp and not $inc and
        for any i in (1..#loop) : (
            for any j in (1..#print) : (@print[j] > @loop[i] and @print[j] < @loop[i] + !loop[i] + 300) and
            not for any k in (1..#app_switch) : (@app_switch[k] < @loop[i] and @app_switch[k] + 300 > @loop[i])
        )
}

rule EXRAY_Tunnel_Socket_Session
{
    meta:
        title = "Web shell: socket tunnel kept in the session (reGeorg style)"
        description = "A server page opens a TCP socket to a host/port given in the request, keeps it in Session and relays request and response bytes through it: an HTTP tunnel (reGeorg, Neo-reGeorg, ABPTTS and relatives) into the internal network."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1090.001, T1572"
    strings:
        $sock = /new\s+(System\.Net\.Sockets\.)?Socket\s*\(/ nocase
        $conn = /\.Connect\s*\(/ nocase
        $sess = /Session\s*(\[[^\]\r\n]{1,60}\]\s*=|\.Add\s*\()/ nocase
        $io1 = /\.Receive\s*\(/ nocase
        $io2 = /\.Send\s*\(/ nocase
        $in = /Request(\.Headers|\.QueryString|\.Form|\.Params)?\s*[\[(.]\s*(Get\s*\()?"/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        any of ($srv*) and $sock and $conn and $sess and all of ($io*) and $in
}

rule EXRAY_HTTP_Proxy_Request_Url
{
    meta:
        title = "Web shell: server-side HTTP proxy to a caller-chosen URL"
        description = "A server page fetches a URL taken from the request (XMLHTTP / WinHttp / HttpWebRequest / WebClient) and returns the answer: an SSRF relay into the internal network."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1090"
        verify = "request-to-url"
    strings:
        $h1 = /XMLHTTP|WinHttp\.WinHttpRequest/ nocase
        $h2 = /WebRequest\s*\.\s*Create\s*\(/ nocase
        $h3 = "WebClient" nocase
        // (perhaps through a decoder or two: `url = FromBase64(Context.Request.Cookies["url"].Value)`;
        // from a cookie only a name for a URL, not a user's `u`; never the Host header an
        // application builds its links with)
        $url1 = /[a-z_][a-z0-9_]{0,30}\s*=\s*(new\s+)?([a-z_][a-z0-9_.]{0,40}\s*\(\s*){0,2}((this\s*\.\s*)?(http)?context\s*\.\s*(current\s*\.\s*)?)?request((\.querystring|\.form|\.item|\.params)?\s*[\[(]\s*"(url|u|target|host|uri)"|\.cookies\s*[\[(]\s*"(url|target|uri)")/ nocase
        $url2 = /(\.Open\s*\(?\s*"(GET|POST)"\s*,|WebRequest\s*\.\s*Create\s*\(|Download(String|Data)\s*\()\s*request/ nocase
        // the caller's own body forwarded into the outgoing request: a relay whatever the names
        $in = /Request\s*\.\s*(InputStream|BinaryRead)/ nocase
        $fwd = /GetRequestStream\s*\(\s*\)/ nocase
        $form = /request(\.form|\.querystring|\.item|\.params)?\s*\[\s*"[a-z_][a-z0-9_]{0,30}"\s*\]/ nocase
        // to a URL held in a variable (a fixed backend written as a literal is not a relay)
        $dyn = /WebRequest\s*\.\s*Create\s*\(\s*[a-z_][a-z0-9_.]{0,40}\s*[)+]/ nocase
        // the answer written back: a value, not only a message in a literal (a page that saves
        // an image from the URL it is given says "saved")
        $out = /Response\s*\.\s*(Write|BinaryWrite)\s*(\(\s*)?[^"\s(]|Response\s*\.\s*OutputStream|<%=/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and any of ($h*) and $out and (any of ($url*) or ($dyn and $in and $fwd and $form))
}

rule EXRAY_NET_PowerShell_Runspace
{
    meta:
        title = "Web shell: page runs PowerShell in-process with caller input"
        description = "An ASP.NET page hosts PowerShell itself (RunspaceFactory, PowerShell.Create, Pipeline.Commands.AddScript) and runs script text taken from the request or a form field: a PowerShell web shell that never starts powershell.exe."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1059.001"
    strings:
        $ps1 = "RunspaceFactory" nocase
        $ps2 = /PowerShell\s*\.\s*Create\s*\(/ nocase
        $ps3 = "System.Management.Automation" nocase
        $ps4 = "RunspaceInvoke" nocase
        $run1 = /AddScript\s*\(/ nocase
        $run2 = /AddCommand\s*\(/ nocase
        $run3 = /CreatePipeline\s*\(/ nocase
        $run4 = /RunspaceInvoke[^;\r\n]{0,200}[\r\n;][\s\S]{0,400}\.Invoke\s*\(|RunspaceInvoke\s*\(\s*\)\s*\)?\s*\.\s*Invoke\s*\(/ nocase
        $in1 = /request(\s*\.\s*(item|form|querystring|params|headers|cookies|get)){0,3}\s*[\[(]/ nocase
        $in2 = /\.Text\s*[,;)+]/ nocase
        $in3 = /\[WebMethod|<WebMethod/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        any of ($srv*) and any of ($ps*) and any of ($run*) and any of ($in*)
}

rule EXRAY_Page_Starts_Download_Cradle
{
    meta:
        title = "Stager: page starts PowerShell or a LOLBin that downloads and runs code"
        description = "A server page starts a process (Process.Start, ProcessStartInfo, WScript.Shell Run/Exec) whose command line downloads and runs code: PowerShell IEX with DownloadString, an encoded command, a hidden window with the execution policy bypassed, or certutil/bitsadmin/mshta/curl/wget fetching a URL. No request input is needed: opening the page runs the stager. A page of a web application does not start PowerShell."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1059.001, T1105"
    strings:
        $p1 = "ProcessStartInfo" nocase
        $p2 = /Process\s*\.\s*Start\s*\(/ nocase
        $p3 = /StartInfo\s*\.\s*(FileName|Arguments)/ nocase
        $p4 = /WScript\.Shell/ nocase
        $c1 = /\bIEX\s*\(|Invoke-Expression/ nocase
        $c2 = /\.DownloadString\s*\(|\.DownloadFile\s*\(|Invoke-WebRequest|\biwr\s+http|Net\.WebClient/ nocase
        $c3 = /\s-(ec|enc|encodedcommand)\s+[A-Za-z0-9+\/]{40}/ nocase
        $c4 = /\s-(w|windowstyle)\s+hidden\b[^\r\n]{0,80}\s-(ep|exec|executionpolicy)\s+bypass|\s-(ep|exec|executionpolicy)\s+bypass[^\r\n]{0,80}\s-(w|windowstyle)\s+hidden\b/ nocase
        $c5 = /certutil(\.exe)?\s+[^\r\n]{0,40}-urlcache|bitsadmin(\.exe)?\s+[^\r\n]{0,40}\/transfer|mshta(\.exe)?\s+["']?https?:/ nocase
        // curl and wget fetching a URL (curl ships with Windows since Server 2019): a beacon to
        // the attacker's listener, or a payload fetched
        $c6 = /\b(curl|wget)(\.exe)?\s+[^\r\n"]{0,60}https?:\/\// nocase
        // a hidden, policy-bypassing PowerShell that runs a script file from a local drive
        // fetches nothing (an intranet tool's maintenance page does this)
        $local_file = /\s-(f|file)\s+["']?[a-z]:\\/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        filesize < 256KB and any of ($srv*) and any of ($p*) and (($c1 and $c2) or $c3 or ($c4 and not $local_file) or $c5 or $c6)
}

rule EXRAY_NET_Page_Runs_Command_Shell
{
    meta:
        title = "Web shell: ASP.NET page runs cmd.exe or PowerShell and reads its output"
        description = "An ASP.NET page, handler or web service starts cmd.exe or PowerShell (Process.Start, ProcessStartInfo) and reads what it prints (redirected standard output), even with a command line fixed in the page (`cmd.exe /c whoami`): the proof-of-execution page an intruder drops first, or a shell whose command arrives another way. A web application does not run a command interpreter."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1059.003"
    strings:
        $p1 = "ProcessStartInfo" nocase
        $p2 = /Process\s*\.\s*Start\s*\(/ nocase
        $p3 = /StartInfo\s*\.\s*(FileName|Arguments)/ nocase
        // the interpreter as the program started (its FileName, or the first argument of
        // ProcessStartInfo / Process.Start), not a word elsewhere (a query key "cmd")
        $sh1 = /(FileName\s*=\s*|ProcessStartInfo\s*\(\s*|Process\s*\.\s*Start\s*\(\s*)@?"(c:\\{1,2}windows\\{1,2}system32\\{1,2})?(cmd|powershell|pwsh)(\.exe)?"/ nocase
        $out = /StandardOutput|RedirectStandardOutput/ nocase
        $dir = /<%@\s*(Page|Control|WebService|WebHandler)\b/ nocase
        $srv = /<script[^>]{0,100}runat\s*=\s*["']?server/ nocase
    condition:
        filesize < 256KB and ($dir or $srv) and any of ($p*) and $sh1 and $out
}

rule EXRAY_NET_Service_Starts_Program
{
    meta:
        title = "Suspicious: web service starts a program on the server"
        description = "A .asmx or .soap web service (a <%@ WebService %> page) starts a Windows program or a command interpreter named by its path (cmd, PowerShell, a browser, calc, a LOLBin, anything under C:\\Windows): any request for the service runs it as the application pool's account. Proof-of-execution pages uploaded under the extensions upload filters forget look like this; an application's converter service starts its own tool from its own folder. Medium: the program may be harmless, what it shows is that someone could place code that runs."
        family = "generic"
        stage = "foothold"
        severity = "medium"
        confidence = "medium"
        attack = "T1505.003, T1059"
    strings:
        $ws = /<%@\s*WebService\b/ nocase
        $p = /(Process\s*\.\s*Start|ProcessStartInfo)\s*\(\s*@?"([a-z]:\\{1,2}(windows\\|program files[^"\r\n]{0,20}\\internet explorer\\)[^"\r\n]{1,120}|(cmd|powershell|pwsh|calc|notepad|iexplore|mshta|rundll32|regsvr32|certutil|bitsadmin|whoami|net|ping|nslookup|wmic|cscript|wscript)(\.exe)?)"/ nocase
    condition:
        filesize < 256KB and $ws and $p
}

rule EXRAY_Identity_Recon_Page
{
    meta:
        title = "Recon: tiny page that shows which Windows account the site runs as"
        description = "A page of a few lines whose code reads the account the worker process runs as (USERNAME/USERDOMAIN, Environment.UserName, WindowsIdentity.GetCurrent, %USERNAME%) and prints it: the whoami test an intruder requests after an upload, before the real shell. Low: a diagnostic page left by an administrator looks the same; it still means someone could place code there."
        family = "generic"
        stage = "foothold"
        severity = "low"
        confidence = "medium"
        attack = "T1505.003, T1033"
    strings:
        $id = /(GetEnvironmentVariable\s*\(\s*"(USERNAME|USERDOMAIN)"|Environment\s*\.\s*(UserName|UserDomainName)\b|WindowsIdentity\s*\.\s*GetCurrent\s*\(\s*\)\s*\.\s*Name|ExpandEnvironmentStrings\s*\(\s*"%(USERNAME|USERDOMAIN)%)/ nocase
        // the same in a comment line reads nothing (one per commented line)
        $id_off = /[\r\n][ \t]*('|\/\/)[^\r\n]{0,80}(GetEnvironmentVariable\s*\(\s*"(USERNAME|USERDOMAIN)"|Environment\s*\.\s*(UserName|UserDomainName)\b|WindowsIdentity\s*\.\s*GetCurrent\s*\(\s*\)\s*\.\s*Name|ExpandEnvironmentStrings\s*\(\s*"%(USERNAME|USERDOMAIN)%)/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        filesize < 2KB and any of ($srv*) and #id > #id_off
}

rule EXRAY_WMI_Process_Create
{
    meta:
        title = "Web shell: page starts a process through WMI"
        description = "A server page creates a process with WMI's Win32_Process.Create (GetObject(\"winmgmts:…\"), SWbemServices, System.Management ManagementClass/InvokeMethod): the way shells run commands when WScript.Shell or Process.Start is blocked or watched. Web applications do not start processes through WMI."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "high"
        attack = "T1505.003, T1047"
    strings:
        // the class itself (Get("Win32_Process"), ManagementClass("Win32_Process"), "…cimv2:Win32_Process"),
        // not a query over it (SELECT … FROM Win32_Process lists processes)
        $class = /["':]\s*Win32_Process\s*["']/ nocase
        $wmi1 = /winmgmts:/ nocase
        $wmi2 = /ManagementClass\s*\(|ManagementPath\s*\(|ManagementScope\s*\(/ nocase
        $wmi3 = /WbemScripting\.SWbemLocator/ nocase
        $create1 = /InvokeMethod\s*\(\s*"Create"/ nocase
        $create2 = /\.Create\b\s*\(?\s*[a-z_"]/ nocase
        $create3 = /ExecMethod_?\s*\(\s*"Create"/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        any of ($srv*) and $class and any of ($wmi*) and ($create1 or $create3 or
            for any i in (1..#class) : (for any j in (1..#create2) : (@create2[j] > @class[i] and @create2[j] < @class[i] + 600)))
}

rule EXRAY_ASP_Object_From_Request
{
    meta:
        title = "Web shell: page creates the COM object or .NET type the request names"
        description = "A server page passes request data as the name of the object to create (CreateObject(Request(\"o\")), Server.CreateObject(Session(…)), Type.GetTypeFromProgID(Request[…]), Activator.CreateInstance(Type.GetType(Request[…]))): the caller picks WScript.Shell, Shell.Application or any other component without the page naming it. Applications name the components they use."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "high"
        attack = "T1505.003, T1559.001"
    strings:
        $asp = /CreateObject\s*\(\s*(trim\s*\(\s*)?(request|session)\s*[.(\[]/ nocase
        $net = /(GetTypeFromProgID|GetTypeFromCLSID|Type\s*\.\s*GetType)\s*\(\s*(HttpContext\s*\.\s*Current\s*\.\s*|context\s*\.\s*|this\s*\.\s*)?Request\s*[.\[(]/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        any of ($srv*) and ($asp or $net)
}

rule EXRAY_ServU_Local_Admin_Escalation
{
    meta:
        title = "Attacker tool: Serv-U local administration escalation page"
        description = "A server page speaks Serv-U's local administration protocol to its admin port (43958) with the built-in LocalAdministrator account to add a system-level FTP user or run a command as SYSTEM (SITE MAINTENANCE, -SETUSERSETUP): the classic privilege escalation from a web shell on a host that runs Serv-U."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1068, T1505.003"
    strings:
        $port = "43958"
        $acct = "LocalAdministrator" nocase
        $pw = "#l@$ak#.lk;0@P"
        $c1 = "SITE MAINTENANCE" nocase
        $c2 = "-SETUSERSETUP" nocase
        $c3 = "-SETDOMAIN" nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and (($port and ($acct or $pw)) or (($acct or $pw) and any of ($c*)))
}
