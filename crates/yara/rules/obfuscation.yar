/*
    exray built-in rules: obfuscation that benign ASP/ASP.NET pages do not need.
*/

rule EXRAY_ASP_Execute_Decoder
{
    meta:
        title = "Web shell: Execute of a decoder function's output"
        description = "A classic ASP page runs Execute/ExecuteGlobal/Eval on the return value of a custom decoder (Chr() arithmetic, Xor, character shifting): an encrypted one-liner or an encrypted full web shell."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003"
        verify = "decoder-exec"
    strings:
        $run = /[^.a-z0-9_](execute|executeglobal|eval)[\s(]{1,8}[a-z_][a-z0-9_]{0,30}\s*\(/ nocase
        // arithmetic inside the argument of Chr (Chr(x - 3), Chr(Asc(Mid(s, i, 1)) Xor k)), not
        // after the call closes (`… & ChrW(101) : n = (34*34-1)`), nor the sign of a literal
        // code (`ChrW(-20319)`, a Chinese character)
        $chr_arith = /chr[wb]?\s*\(\s*(\(\s*)*([^\r\n()]|\(([^\r\n()]|\(([^\r\n()]|\([^\r\n()]*\))*\))*\))+(xor|[-+]\s*[0-9]|-\s*[a-z_(])/ nocase
        $asc = /asc[wb]?\s*\(\s*mid[b]?\s*\(/ nocase
        $rev = "StrReverse" nocase
        $repl = /=\s*replace\s*\(/ nocase
        $alpha = /Array\s*\(\s*("[^"\r\n]{1,2}"\s*,\s*){40}/
        $run_var = /[\s:(%>](execute|executeglobal)[\s(]{1,8}[a-z_][a-z0-9_]{0,30}\s*\)?\s*(\r|\n|:|%>)/ nocase
        // x = Replace(x, "0", ""): junk characters stripped out of a hidden statement, then run
        $strip = /[a-z_][a-z0-9_]{0,30}\s*=\s*replace\s*\(\s*[a-z_][a-z0-9_]{0,30}\s*,\s*"[^"\r\n ]{1,4}"\s*,\s*""\s*\)/ nocase
        $run_any = /[\s:(%>](execute|executeglobal|eval)[\s(]{1,8}[a-z_][a-z0-9_]{0,30}\s*\)?\s*(\r|\n|:|%>|')/ nocase
        // Execute(d(6)&d(10)&d(9)&...): the statement spelled by calls that pick characters
        // out of a hidden text (the picker is any name but Chr/ChrW/ChrB: literal character
        // codes hide nothing a decoder keeps; long runs of them are EXRAY_ASP_Chr_Assembled_Execute's,
        // and a JSON library's `Eval(ChrW(97)&ChrW(114)&ChrW(114)&ChrW(40) & i & ChrW(41))` is `arr(i)`)
        $picks = /[^.a-z0-9_](execute|executeglobal|eval)[\s(]{1,8}(([abd-z_][a-z0-9_]{0,10}|c|c[a-gi-z0-9_][a-z0-9_]{0,9}|ch|ch[a-qs-z0-9_][a-z0-9_]{0,8}|chr[ac-vx-z0-9_][a-z0-9_]{0,7}|chr[wb][a-z0-9_]{1,7})\s*\(\s*[0-9]{1,3}\s*\)\s*&\s*){4}/ nocase
        // a base64 decoder's alphabet, or character codes split out of a text and turned back
        // into characters (For Each c In Split(d, "B") : s = s & Chr(c))
        $b64_alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        $codes = /split\s*\([^()\r\n]{1,60}\)[^\r\n]{0,80}chr[wb]?\s*\(\s*[a-z_]/ nocase
        // a character made of an item of a list (Chr(CInt(a(i)))), or of a hex pair
        // (Chr("&H" & Mid(d, i, 2)))
        $codes_item = /chr[wb]?\s*\(\s*(c(int|lng|byte)\s*\(\s*)?[a-z_][a-z0-9_]{0,30}\s*\(\s*[a-z_][a-z0-9_]{0,10}\s*\)\s*\)/ nocase
        $hex = /chr[wb]?\s*\(\s*(c(lng|int|byte)\s*\(\s*)?"&h"\s*&/ nocase
        // server code: a <% %> block or a <script runat="server"> block
        $asp = /<%|<script[^>]{0,100}runat\s*=\s*["']?server/ nocase
    condition:
        $asp and (($run and ($chr_arith or $asc or $rev or #repl >= 4)) or ($run_var and ($alpha or $b64_alpha or $codes or $codes_item or $hex))
            or (filesize < 8KB and for any i in (1..#run_any) : ($strip in (@run_any[i] - 300 .. @run_any[i])))
            or $picks)
}

rule EXRAY_ASP_Execute_Char_Pieces
{
    meta:
        title = "Web shell: code run from a string glued together one or two characters at a time"
        description = "A classic ASP page runs Eval/Execute and spells a string out of one- and two-character literals (\"e\"&\"v\"&\"a\"&\"l\"&...): the keyword-splitting that hides eval(request(...)) from signatures. Benign pages do not build text six characters at a time."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1027"
    strings:
        // the keyword, then within a few characters a run of six one- or two-character literals
        // glued with VBScript's & (client-side JavaScript glues with +)
        $run_pieces = /[^.a-z0-9_](eval|execute|executeglobal)[\s(]{0,8}[^\r\n]{0,20}"[^"\r\n]{1,2}"\s*&\s*\(?\s*"[^"\r\n]{1,2}"\s*&\s*"[^"\r\n]{1,2}"\s*&\s*"[^"\r\n]{1,2}"\s*&\s*"[^"\r\n]{1,2}"\s*&\s*"[^"\r\n]{1,2}"/ nocase
        // server code: a <% %> block or a <script runat="server"> block
        $asp = /<%|<script[^>]{0,100}runat\s*=\s*["']?server/ nocase
    condition:
        $asp and $run_pieces
}

rule EXRAY_ASP_Chr_Keyword_Split
{
    meta:
        title = "Web shell: keywords assembled from Chr() pieces"
        description = "String fragments glued with Chr() of letters (\"eV\"&Chr(97)&\"L\"): hides eval, request and object names from signatures. Benign code uses Chr() for quotes and line breaks, not for letters between letters."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003"
    strings:
        $split = /"[a-z]{1,6}"\s*[&+]\s*chr[wb]?\s*\(\s*(6[5-9]|[7-9][0-9]|1[01][0-9]|12[0-2]|&h[4-7][0-9a-f]|&o?1[0-7][0-7])\s*\)\s*[&+]\s*"?[a-z(]/ nocase
        // server code: a <% %> block or a <script runat="server"> block
        $asp = /<%|<script[^>]{0,100}runat\s*=\s*["']?server/ nocase
    condition:
        $asp and #split >= 3
}

rule EXRAY_ASP_Script_Encoded
{
    meta:
        title = "Suspicious: encoded ASP script (VBScript.Encode / JScript.Encode)"
        description = "Server-side script encoded with the Windows Script Encoder (#@~^ ... ^#~@), in a single-byte or a UTF-16 page. Web shells use it to hide their code; legitimate pages on an Exchange server never need it."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1027"
        verify = "encoded-block"
    strings:
        // UTF-16 pages too: the encoder's markers and the directive, each byte followed by a zero
        $start = /#@~\^[a-z0-9+\/]{6}==/ nocase ascii wide
        $end = /==\^#~@/ ascii wide
        $lang = /language\s*=\s*["']?(vbscript|jscript)\.encode/ nocase ascii wide
        $asp = "<%" ascii wide
    condition:
        ($start and $end and $asp) or ($lang and $start)
}

rule EXRAY_ASP_Code_Through_COM_Decoder
{
    meta:
        title = "Suspicious: page hands its code to a COM component as encoded blobs"
        description = "A classic ASP page creates a COM component and passes it three or more long encoded literals (200 base64 characters or more each): the page's code is hidden from review and run by a decoder component (ASP encryptors installed on the server are used that way by shell authors). What the page does cannot be read from it: confidence is low; read the component it names and the server's logs for the page."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "low"
        attack = "T1505.003, T1027"
    strings:
        $com = /Server\s*\.\s*CreateObject\s*\(\s*"[a-z0-9_]{2,40}\.[a-z0-9_]{2,40}"\s*\)/ nocase
        $blob = /\b[a-z_][a-z0-9_]{0,30}\s*\.\s*[a-z_][a-z0-9_]{0,30}\s*\(?\s*"[A-Za-z0-9+\/=]{200}/ nocase
        // the components every application creates (databases, files, XML, mail) are not
        // decoders: at least one other component must be created
        $std = /Server\s*\.\s*CreateObject\s*\(\s*"(ADODB|Scripting|MSXML2?|Microsoft|WScript|Shell|CDO|CDONTS|JMail|Persits|Wscript|WinHttp|System)\.[a-z0-9_]{2,40}"\s*\)/ nocase
        $srv = "<%"
    condition:
        $srv and #com > #std and #blob >= 3
}

rule EXRAY_ASP_UTF7_Codepage
{
    meta:
        title = "Web shell: ASP page switched to the UTF-7 code page"
        description = "<%@ codepage=65000 %> (also written with leading zeros) makes IIS decode the page as UTF-7, so the script body can be written as +AHIAZQ...- runs that no text signature sees. Legitimate pages do not do this."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1027"
    strings:
        $cp = /<%\s*@[^%]{0,80}codepage\s*=\s*["']?0*65000/ nocase
        $seq = /\+A[A-Za-z0-9+\/]{20,400}-/
    condition:
        $cp or (#seq >= 2 and $seq in (0..512) and filesize < 4KB)
}

rule EXRAY_ScriptControl_Request
{
    meta:
        title = "Web shell: MSScriptControl evaluates code with request objects"
        description = "An ASP page creates MSScriptControl.ScriptControl, hands it Request/Response via AddObject and runs code: an eval one-liner through a COM object."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003"
    strings:
        $sc = "ScriptControl" nocase
        $add = ".AddObject" nocase
        $run1 = ".ExecuteStatement" nocase
        $run2 = ".Eval" nocase
        $run3 = ".AddCode" nocase
        // .AddCode(Request("x")) then .Run: code from the request, objects passed to Run
        $code_req = /\.(addcode|executestatement)[\s(]{1,8}request(\.(item|form|querystring|params|cookies|headers|servervariables))?\s*[\[(]/ nocase
    condition:
        $sc and (($add and any of ($run*)) or $code_req)
}

rule EXRAY_JScript_String_Split_Eval
{
    meta:
        title = "Web shell: eval or request assembled from split strings"
        description = "Server-side JScript builds \"eval\", \"Request\" or \"unsafe\" out of one- or two-letter pieces (\"e\"+\"v\"+\"a\"+\"l\") or hex escapes (\\x65\\x76\\x61\\x6c): signature evasion of the Chopper one-liner."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1027"
    strings:
        $c1 = /"e"[^"]{0,20}\+[^"]{0,20}"v"[^"]{0,20}\+[^"]{0,20}"a"[^"]{0,20}\+[^"]{0,20}"l"/ nocase
        $c2 = /"R"[^"]{0,20}\+[^"]{0,20}"e"[^"]{0,20}\+[^"]{0,20}"q"[^"]{0,20}\+[^"]{0,20}"u"/ nocase
        $c3 = /"u"[^"]{0,20}\+[^"]{0,20}"n"[^"]{0,20}\+[^"]{0,20}"s"/ nocase
        $c4 = /"(ev|eva)"\s*\+\s*"(al|l)"/ nocase
        $c5 = /"(un|uns|unsa|unsaf)"\s*\+\s*"(nsafe|safe|afe|fe|e)"/ nocase
        $c6 = /"(Req|Requ|Reque|Reques)"\s*\+\s*"(quest|uest|est|st|t)[."\[]/ nocase
        $x1 = "\\x65\\x76\\x61\\x6c" nocase
        $x2 = "\\x75\\x6e\\x73\\x61" nocase
        $x3 = "\\x52\\x65\\x71\\x75" nocase
        $x4 = "\\u0065\\u0076\\u0061\\u006c" nocase
        $x5 = "\\u0075\\u006e\\u0073\\u0061" nocase
        $eval = "eval" nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and (any of ($x*) or (any of ($c*) and $eval))
}

rule EXRAY_CS_Verbatim_Identifier_Evasion
{
    meta:
        title = "Web shell: C# verbatim identifiers hide process, reflection or file calls"
        description = "A server page writes the names of sensitive .NET members with C#'s verbatim @ prefix (System.@Diagnostics.@Process, p.@StartInfo.@FileName, Assembly.@Load, File.@WriteAllText): the compiler reads them as the plain names, while text searches for Process.Start or Assembly.Load no longer match. No application spells its own calls that way."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "high"
        attack = "T1505.003, T1027"
    strings:
        // (right after a dot: `. @X` and `new @X` are also a sentence or markup followed by an
        // expression in a Razor page)
        $v = /\w\.@(Diagnostics|Process|ProcessStartInfo|StartInfo|Start|Reflection|Assembly|Load|LoadFrom|Invoke|InvokeMember|CreateInstance|GetMethod|FileName|Arguments|Exec|Eval|Execute|MapPath|IO|File|WriteAllText|WriteAllBytes|FromBase64String|CompileAssemblyFromSource|CSharpCodeProvider)\b/
        // (spaced before or after the dot: `Process. @Start(i)`, `System .@Diagnostics`, counted
        // outside Razor pages)
        $v_spaced = /\w([ \t\r\n]{1,8}\.[ \t\r\n]{0,8}|\.[ \t\r\n]{1,8})@(Diagnostics|Process|ProcessStartInfo|StartInfo|Start|Reflection|Assembly|Load|LoadFrom|Invoke|InvokeMember|CreateInstance|GetMethod|FileName|Arguments|Exec|Eval|Execute|MapPath|IO|File|WriteAllText|WriteAllBytes|FromBase64String|CompileAssemblyFromSource|CSharpCodeProvider)\b/
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        any of ($srv*) and ($v or ($v_spaced and not $srv_razor))
}

rule EXRAY_CS_Unicode_Escape_Evasion
{
    meta:
        title = "Web shell: C# Unicode escapes spell plain letters of server code"
        description = "A server page spells ordinary ASCII letters of its identifiers or strings as C# Unicode escapes (System.Diagnostics.Pro\\u0063ess, \"cm\\u0064.exe\"): the compiler reads the plain names, while text searches for Process or cmd.exe no longer match. Escapes are for characters a keyboard or a code page cannot carry, never for the letters of a name."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1027"
    strings:
        // a letter escaped next to a letter or digit of the same word (`\u0063`, `\U00000063`, and
        // in literals `\x63`)
        $e = /[A-Za-z0-9_]\\(u00|U000000|x00|x)(4[1-9A-Fa-f]|5[0-9Aa]|6[1-9A-Fa-f]|7[0-9Aa])([^0-9A-Fa-f]|$)|\\(u00|U000000)(4[1-9A-Fa-f]|5[0-9Aa]|6[1-9A-Fa-f]|7[0-9Aa])[A-Za-z0-9_]/
        $cs1 = /Language\s*=\s*"?\s*(C#|CSharp)/ nocase
        $cs2 = /<script[^>]{0,60}(runat\s*=\s*"?server[^>]{0,60}language\s*=\s*"?(C#|CSharp)|language\s*=\s*"?(C#|CSharp)[^>]{0,60}runat\s*=\s*"?server)/ nocase
        $cs3 = "IHttpHandler" nocase
    condition:
        any of ($cs*) and $e
}
