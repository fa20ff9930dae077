/*
    exray built-in rules: in-memory loaders that decrypt request bytes and load a .NET
    assembly or run decrypted script (Godzilla, Behinder/Ice Scorpion and their clones).
*/

rule EXRAY_NET_Reflective_Loader_Request
{
    meta:
        title = "Web shell: .NET assembly loaded from request bytes"
        description = "A page reads request data (BinaryRead, InputStream, Request[...] / Form), decodes or decrypts it (AES/Rijndael, base64, xor) and loads it with Assembly.Load, often caching the loaded payload in Session: the Godzilla and Behinder ASPX shells."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1620"
    strings:
        $load1 = /Assembly\s*\.\s*Load\s*\(/ nocase
        $load2 = /GetMethod\s*\(\s*"Load"/ nocase
        $load3 = /Assembly\)\s*typeof/ nocase
        $load4 = "System.Reflection.Assembly.Load" nocase
        // the method found by its byte[] signature, its name hidden: GetMethod(d("TG9hZA=="), new Type[]{typeof(byte[])})
        $load5 = /GetMethod\s*\([^;\r\n]{1,400}typeof\s*\(\s*byte\s*\[\s*\]\s*\)/ nocase
        $in1 = "BinaryRead" nocase
        $in2 = "InputStream" nocase
        $in3 = /request(\s*\.\s*(item|form|querystring|params|headers|cookies|get)){0,3}\s*\[/ nocase
        $in4 = /Request\.(Form|Params|QueryString)\s*\.Get\s*\(/ nocase
        $dec1 = "RijndaelManaged" nocase
        $dec2 = "CreateDecryptor" nocase
        $dec3 = /Aes(Managed|CryptoServiceProvider)?\s*(\.\s*Create|\()/ nocase
        $dec4 = "FromBase64String" nocase
        $dec5 = "TransformFinalBlock" nocase
        $dec6 = /\^\s*[a-z_][a-z0-9_]{0,20}\s*\[\s*[a-z_(]/ nocase
        // type and method names spelled one character at a time: new string(new char[] {'L','o','a','d'})
        $dec7 = /new\s+string\s*\(\s*new\s+char\s*\[\s*\]\s*\{\s*'[^']'\s*,/ nocase
        $use1 = "CreateInstance" nocase
        $use2 = /Session\s*(\[|\.Add\s*\()/ nocase
        $use3 = ".Invoke(" nocase
        // a page, a handler or a small file: a large class library that loads its plug-ins
        // and also reads request values elsewhere is an application
        $page1 = "<%"
        $page2 = "runat" nocase
        $page3 = "IHttpHandler" nocase
        $page4 = "IHttpModule" nocase
        $page5 = "IHttpAsyncHandler" nocase
        $page6 = /:\s*(System\.Web\.UI\.)?Page\b|Inherits\s+(System\.Web\.UI\.)?Page\b|HttpApplication/
    condition:
        any of ($load*) and any of ($in*) and any of ($dec*) and any of ($use*)
            and (any of ($page*) or filesize < 24KB)
}

rule EXRAY_NET_Remote_Assembly_Loader
{
    meta:
        title = "Web shell: page downloads a .NET assembly and runs it in memory"
        description = "A server page fetches bytes over HTTP (WebClient.DownloadData, a response stream, HttpClient, or text decoded from base64) and loads them as an assembly (Assembly.Load, AppDomain.CurrentDomain.Load) whose entry point or types it then invokes: a stager that keeps its payload off the disk, often decrypting it first."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1620, T1105"
    strings:
        $get1 = /DownloadData(Async|TaskAsync)?\s*\(/ nocase
        $get2 = /GetResponseStream\s*\(/ nocase
        $get3 = /GetByteArrayAsync\s*\(|ReadAsByteArrayAsync\s*\(/ nocase
        // or fetched as text and decoded from base64
        $text = /DownloadString(Async|TaskAsync)?\s*\(|GetStringAsync\s*\(|ReadAsStringAsync\s*\(/ nocase
        $b64 = "FromBase64String" nocase
        // loaded from bytes (a value, not an assembly's name in a literal: `Assembly.Load("App.Formatters")`)
        $load1 = /Assembly\s*\.\s*Load\s*\(\s*[^"\s)]/ nocase
        $load2 = /AppDomain\s*\.\s*CurrentDomain\s*\.\s*Load\s*\(\s*[^"\s)]/ nocase
        $load3 = /GetMethod\s*\(\s*"Load"/ nocase
        // or straight from a URL
        $url_load = /Assembly\s*\.\s*(Unsafe)?LoadFrom\s*\(\s*@?"https?:\/\// nocase
        // its entry point run (`asm.EntryPoint.Invoke`, not `[DllImport(…, EntryPoint = "f")]`),
        // a type of it created, or a method of it invoked
        $use1 = /\.EntryPoint\b/ nocase
        $use2 = /CreateInstance\s*\(/ nocase
        $use3 = /GetMethod\s*\([^;\r\n]{0,200}\.\s*Invoke\s*\(/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
        $srv4 = "WebMethod" nocase
    condition:
        any of ($srv*) and (($url_load and any of ($use*)) or ((any of ($get*) or for any i in (1..#text) : ($b64 in (@text[i] .. @text[i] + 400))) and any of ($load*) and any of ($use*)))
}

rule EXRAY_ASP_Decrypt_Request_Execute
{
    meta:
        title = "Web shell: ASP page decrypts the request body and executes it"
        description = "A classic ASP page reads the raw request body (Request.BinaryRead), decodes it with xor/Chr arithmetic and hands the result to Execute/Eval: the Behinder ASP shell and similar encrypted-channel shells."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003"
    strings:
        $read = "BinaryRead" nocase
        $xor = /(xor|chr[wb]?\s*\(\s*ascb?\s*\()/ nocase
        // a statement (at the start of a line or after `:`, `(` or `Then`), not a word in a
        // comment (an upload page that parses the body with the same byte functions says it
        // will "execute it", its SQL), nor an expression's value (the same kind of page
        // evaluates its folder setting: `dir = eval(dir)`)
        $run = /(^|[\r\n:(]|\bthen)[ \t]*(execute|executeglobal|eval)[\s(]{1,8}[a-z_][a-z0-9_]{0,30}\s*\)?\s*(\r|\n|:|%>)/ nocase
    condition:
        filesize < 64KB and $read and $xor and $run
}

rule EXRAY_NET_Dynamic_Compile_Request
{
    meta:
        title = "Web shell: C#/VB source from the request compiled at run time"
        description = "A page compiles code it receives (CSharpCodeProvider / CompileAssemblyFromSource / JScript Eval.JScriptEvaluate) from request data and runs it."
        family = "generic"
        stage = "foothold"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003"
    strings:
        $c1 = "CompileAssemblyFromSource" nocase
        $c2 = "JScriptEvaluate" nocase
        $c3 = "CSharpCodeProvider" nocase
        $c4 = "VBCodeProvider" nocase
        $in = /request(\s*\.\s*(item|form|querystring|params|headers|cookies|get)){0,3}\s*[\[(]/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($c*) and $in and any of ($srv*)
}

rule EXRAY_NET_Deserialize_Request
{
    meta:
        title = "Web shell: page deserializes request data with a type-unsafe formatter"
        description = "An ASP.NET page feeds request data to BinaryFormatter, LosFormatter, ObjectStateFormatter, SoapFormatter or NetDataContractSerializer: a deserialization backdoor that runs a gadget chain sent by the attacker."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003"
    strings:
        $f1 = "BinaryFormatter" nocase
        $f2 = "LosFormatter" nocase
        $f3 = "ObjectStateFormatter" nocase
        $f4 = "SoapFormatter" nocase
        $f5 = "NetDataContractSerializer" nocase
        // request data inside the Deserialize(...) call itself
        $des = /\.(Deserialize|ReadObject)\s*\([^;\r\n]{0,120}(Request|InputStream|BinaryRead)/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        any of ($srv*) and any of ($f*) and $des
}

rule EXRAY_NET_Deserialize_Request_Flow
{
    meta:
        title = "Web shell: page deserializes request data through its own names"
        description = "An ASP.NET page hands request data, through its variables and streams, to a type-unsafe deserializer (BinaryFormatter, LosFormatter, ObjectStateFormatter, SoapFormatter, NetDataContractSerializer's ReadObject, XamlReader or XamlServices, a JavaScriptSerializer built with a SimpleTypeResolver, Json.NET with type names on in the call): a deserialization backdoor that runs a gadget chain sent by the attacker. The view-state persistence overrides of WebForms pages (compressed view state) are left out."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003"
        verify = "request-to-deserialize"
    strings:
        $f1 = "BinaryFormatter" nocase
        $f2 = "LosFormatter" nocase
        $f3 = "ObjectStateFormatter" nocase
        $f4 = "SoapFormatter" nocase
        $f5 = "NetDataContractSerializer" nocase
        $f6 = /JavaScriptSerializer\s*\(\s*new\s+SimpleTypeResolver/ nocase
        $call = /\.(Deserialize|ReadObject)\s*(<[^>\r\n]{1,60}>\s*)?\(/ nocase
        // (the settings given in the call itself)
        $json = /DeserializeObject\s*(<[^>\r\n]{1,60}>\s*)?\([^;]{0,300}TypeNameHandling\s*=\s*TypeNameHandling\s*\.\s*(All|Auto|Objects|Arrays)/ nocase
        $xaml = /Xaml(Reader|Services)\s*\.\s*(Parse|Load)\s*\(/ nocase
        $viewstate = /(Load|Save)PageState(From|To)PersistenceMedium/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
        // the code of a page kept apart from it: a code-behind class or an App_Code module
        $srv_code = /(:|\bInherits)\s*[\w.]{0,60}(Page|PageBase|UserControl|MasterPage)\b|\bIHttpModule\b|:\s*(System\.Web\.)?HttpApplication\b/ nocase
    condition:
        any of ($srv*) and not $viewstate and ((any of ($f*) and $call) or $json or $xaml)
}

rule EXRAY_NET_Dynamic_PInvoke
{
    meta:
        title = "Web shell: page declares native calls at run time"
        description = "A server page builds a dynamic assembly and defines P/Invoke methods in it (AssemblyBuilder, DefineDynamicModule, DefinePInvokeMethod), so the names of the Windows functions it calls (VirtualAlloc, CreateThread, …) can stay encrypted in the page: the way shellcode loaders hide from signatures. Pages that call native code declare it with DllImport."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "high"
        attack = "T1505.003, T1620, T1027"
    strings:
        $pinvoke = /\.DefinePInvokeMethod\s*\(/ nocase
        $module = /\.DefineDynamicModule\s*\(/ nocase
        $native = /"(kernel32|ntdll|advapi32)(\.dll)?"/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        any of ($srv*) and $module and ($pinvoke or $native)
}

rule EXRAY_NET_Page_Rewrites_Itself_And_Compiles
{
    meta:
        title = "Web shell: page rewrites a page file and has ASP.NET compile it"
        description = "A server page writes a page file (its own, found through Request.PhysicalPath, or another .aspx/.ashx) and then asks ASP.NET to compile and run a virtual path (BuildManager.CreateInstanceFromVirtualPath, GetCompiledType, GetCompiledAssembly): the code it runs never sits on disk for long, and the page usually puts its innocent text back afterwards. Applications compile what they ship, not what they just wrote."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "high"
        attack = "T1505.003, T1027"
    strings:
        $build = /BuildManager\s*\.\s*(CreateInstanceFromVirtualPath|GetCompiledType|GetCompiledAssembly)\s*\(/ nocase
        $write = /File\s*\.\s*(WriteAllText|WriteAllBytes|WriteAllLines)\s*\(|new\s+(System\.IO\.)?StreamWriter\s*\(/ nocase
        // the page's own file, or another page
        $path = /Request\s*\.\s*(PhysicalPath|FilePath|CurrentExecutionFilePath)\b|MapPath\s*\([^)\r\n]{0,80}\.as[hp]x"/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        filesize < 64KB and any of ($srv*) and $build and $write and $path
}

rule EXRAY_NET_Script_Engine_Eval
{
    meta:
        title = "Web shell: page compiles and runs C# script text at run time"
        description = "A server page runs C# source through the Roslyn scripting API (CSharpScript.EvaluateAsync/RunAsync/Create) or emits IL into a DynamicMethod and invokes it: code that is not in the page, supplied later (by the request, a cookie, a file). Applications ship compiled code; a page that evaluates script text is an eval shell."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1059"
    strings:
        $roslyn = /CSharpScript\s*\.\s*(EvaluateAsync|RunAsync|Create|Evaluate)\s*[<(]/ nocase
        $dm = /new\s+(System\.Reflection\.Emit\.)?DynamicMethod\s*\(/ nocase
        $il = /\.GetILGenerator\s*\(/ nocase
        $emit = /\.Emit\s*\(\s*(System\.Reflection\.Emit\.)?OpCodes\s*\./ nocase
        $bytes = /Request\s*[.\[(]|Convert\s*\.\s*FromBase64String\s*\(/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        any of ($srv*) and ($roslyn or ($dm and $il and $emit and $bytes))
}

rule EXRAY_NET_Reflection_Request
{
    meta:
        title = "Web shell: the request names the assembly, type or method the page invokes"
        description = "A server page loads an assembly, creates a type or invokes a method or property through reflection (Assembly.Load*, GetType, CreateInstance, GetMethod, InvokeMember, GetProperty), and the page's data flow carries request data (often decrypted first) into the name: the caller drives any .NET API through the page without a single suspicious call name in the file (reflection web shells)."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1620"
        verify = "request-to-reflection"
    strings:
        $r1 = /Assembly\s*\.\s*Load\w*\s*\(/ nocase
        $r2 = /\.(GetType|GetMethod|GetProperty|InvokeMember)\s*\(/ nocase
        $r3 = /Activator\s*\.\s*CreateInstance\s*\(/ nocase
        $inv = /\.(Invoke|InvokeMember|SetValue)\s*\(/ nocase
        // the caller can reach any assembly or type: not one the page names
        // (Assembly.Load("App_Code") keeps reflection inside the application's own code)
        $open1 = /(Assembly\s*\.\s*Load\w*|AppDomain\s*\.\s*CurrentDomain\s*\.\s*Load|Type\s*\.\s*GetType)\s*\(\s*[^"\s)]/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        filesize < 256KB and any of ($srv*) and 2 of ($r*) and $inv and $open1
}

rule EXRAY_NET_Assembly_Load_Request_Path
{
    meta:
        title = "Suspicious: page loads an assembly the caller names"
        description = "A server page loads an assembly (Assembly.LoadFrom, LoadFile, UnsafeLoadFrom, Load) whose path or name comes from the request or a text box: a tool that runs or inspects any DLL the attacker points it at (uploaded tools, the application's own assemblies for secrets). Applications load their own plug-ins, never one a visitor names."
        family = "generic"
        stage = "foothold"
        severity = "medium"
        confidence = "medium"
        attack = "T1505.003, T1620"
        verify = "request-to-load"
    strings:
        $load = /Assembly\s*\.\s*(LoadFrom|LoadFile|UnsafeLoadFrom|Load|ReflectionOnlyLoadFrom)\s*\(\s*[^"\s)]/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        filesize < 256KB and any of ($srv*) and $load
}
