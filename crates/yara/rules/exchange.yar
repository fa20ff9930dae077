/*
    exray built-in rules: the Exchange-specific shells of ProxyLogon-era intrusions.
*/

rule EXRAY_Exchange_OAB_Settings_Shell
{
    meta:
        title = "Web shell: OAB virtual-directory settings with embedded server script"
        description = "Text of an Exchange OAB virtual directory's settings saved as a page, one 'Name : value' per line as Set-/Get-OabVirtualDirectory write them, with a <script runat=server> or <% %> block inside the ExternalUrl or InternalUrl value: the file written through CVE-2021-27065 / CVE-2021-26858 (Set-OabVirtualDirectory then Reset/Remove). A page that merely names these fields and has a script elsewhere does not match."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1190"
    strings:
        // The settings as Set-/Get-OabVirtualDirectory | Format-List write them: the key starts
        // its line, then blanks, a colon, and the script sits inside the URL value (the cmdlet
        // only takes a URL there: http://f/<script ...).
        $url_script = /(^|[\r\n])[ \t]*(External|Internal)Url[ \t]*:[ \t]*https?:\/\/[^\r\n]{0,300}(<script|runat\s*=|<%)/ nocase
        $url_script_w = /(^|[\r\n])[ \t]*(External|Internal)Url[ \t]*:[ \t]*https?:\/\/[^\r\n]{0,300}(<script|runat\s*=|<%)/ wide nocase
    condition:
        any of them
}

rule EXRAY_WebConfig_Handler_Hijack
{
    meta:
        title = "Web shell: web.config maps a handler to a script engine and carries code"
        description = "A web.config that maps .config (or another non-script extension) to a script engine (<handlers>/<httpHandlers>, scriptProcessor asp.dll, buildProviders), unblocks .config in requestFiltering, and contains its own <% %> script: the configuration file itself becomes a web shell."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1505.004"
    strings:
        $cfg = "<configuration" nocase
        $h1 = "<handlers" nocase
        $h2 = "<httpHandlers" nocase
        $h3 = "<buildProviders" nocase
        $map1 = /path\s*=\s*"\*?\.config"/ nocase
        $map2 = /scriptProcessor\s*=\s*"[^"]{0,200}(asp\.dll|aspnet_isapi\.dll)"/ nocase
        $map3 = /extension\s*=\s*"\.config"/ nocase
        $map4 = /<remove\s+fileExtension\s*=\s*"\.config"/ nocase
        $map5 = /<remove\s+segment\s*=\s*"web\.config"/ nocase
        $code = /<%[^>]{0,400}(Request|Response|CreateObject|Server\.|eval|execute)/ nocase
    condition:
        $cfg and any of ($h*) and any of ($map*) and $code
}

rule EXRAY_Exchange_PST_Export_Shell
{
    meta:
        title = "Web shell: mailbox export (PST) saved as a page with embedded script"
        description = "A PST file (magic !BDN) that carries a server-side script block: the ProxyShell technique of exporting a mailbox whose draft holds an encoded shell (New-MailboxExportRequest into a web root as .aspx)."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1190"
    strings:
        $s1 = "runat=\"server\"" nocase
        $s2 = "runat=server" nocase
        $s3 = /<%\s*@?\s*(page|language|eval|execute|response|request)/ nocase
        $s4 = /<script[^>]{0,80}language\s*=\s*["']?(jscript|c#|vb|csharp)/ nocase
    condition:
        uint32(0) == 0x4E444221 and any of them
}
