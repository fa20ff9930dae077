/*
    exray built-in rules: file managers, file writers and droppers driven by the request.
*/

rule EXRAY_File_Manager_Request
{
    meta:
        title = "Web shell: file manager page (list, upload, delete, rename by request)"
        description = "One server page that lists folders and also writes, uploads, deletes or renames files, with paths taken from the request: a web-shell file manager."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1083"
        verify = "request-to-path"
    strings:
        $l1 = ".SubFolders" nocase
        $l2 = /GetFolder\s*\(/ nocase
        $l3 = /Directory\s*\.\s*GetFiles|\.GetFiles\s*\(|\.EnumerateFiles\s*\(/ nocase
        $l6 = /GetDirectories\s*\(|\.EnumerateDirectories\s*\(/ nocase
        $l7 = /DirectoryInfo\s*\(|\.GetFileSystemInfos\s*\(/ nocase
        $l4 = "GetLogicalDrives" nocase
        $l5 = "Scripting.FileSystemObject" nocase
        $m1 = /\.DeleteFile|\.DeleteFolder|File\s*\.\s*Delete\s*\(|Directory\s*\.\s*Delete\s*\(/ nocase
        $m2 = /\.MoveFile|\.MoveFolder|File\s*\.\s*Move\s*\(|\.MoveTo\s*\(/ nocase
        $m3 = /\.CreateTextFile|\.OpenTextFile|StreamWriter\s*\(|File\s*\.\s*WriteAll/ nocase
        $m4 = /\.SaveAs\s*\(|\.SaveToFile|PostedFile/ nocase
        $m5 = /\.CopyFile|File\s*\.\s*Copy\s*\(|\.CopyTo\s*\(/ nocase
        $m6 = /\.CreateFolder|Directory\s*\.\s*CreateDirectory/ nocase
        $m7 = /\.Attributes\s*=/ nocase
        // a file of the listing sent to the caller (the download of a file manager)
        $m8 = /Response\s*\.\s*(WriteFile|TransmitFile)\s*\(/ nocase
        $in = /request(\s*\.\s*(item|form|querystring|params|headers|cookies|get)){0,3}\s*[\[(]/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        // a page that includes its application's own files is part of that application (an admin
        // module behind the application's login); the kits this rule is for stand alone
        $app_inc = /<!--\s*#include\s+(file|virtual)\s*=/ nocase
    condition:
        any of ($srv*) and $in and 2 of ($l*) and 3 of ($m*) and not $app_inc
}

rule EXRAY_File_Op_Request_Path
{
    meta:
        title = "Web shell: page lists, reads or writes a full path the request sends"
        description = "A server page lists, reads, writes or saves a file or folder whose whole path is a request value (`fso.GetFolder(Request(\"d\")).Files`, `File.ReadAllText(Request[\"f\"])`, `Request.Files[0].SaveAs(Request[\"p\"])`): the caller reaches any path on the server. Applications build their paths from folders of their own and at most take a file name from the request; the small file-manager, reader and uploader pages of shell kits take the path as it is. Deletes, copies and moves alone are left out: an editor's asset manager or connector does them on the physical paths its own dialog sends."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1083"
        verify = "request-is-path"
    strings:
        $op1 = /\.(GetFolder|OpenTextFile|CreateTextFile|SaveToFile|LoadFromFile|SaveAs)\b/ nocase
        $op2 = /\b(File|Directory)\s*\.\s*(GetFiles|GetDirectories|GetFileSystemEntries|EnumerateFiles|EnumerateDirectories|ReadAll\w*|WriteAll\w*|AppendAll\w*|OpenRead|OpenWrite|OpenText|Open|Create|CreateText|AppendText)\s*\(/ nocase
        $op3 = /\b(DirectoryInfo|FileInfo|StreamWriter|StreamReader|FileStream)\s*\(/ nocase
        $in = /request\s*(\.\s*(item|form|querystring|params|cookies|headers|get)){0,2}\s*[\[(]/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        // a page that includes its application's own files is part of that application (an
        // admin module behind the application's login); the kits this rule is for stand alone
        $app_inc = /<!--\s*#include\s+(file|virtual)\s*=/ nocase
    condition:
        filesize < 64KB and any of ($srv*) and any of ($op*) and $in and not $app_inc
}

rule EXRAY_File_Dropper_Flow
{
    meta:
        title = "Web shell: page writes request data into a file the request names, or into a script page"
        description = "A server page writes request data into a file (a stream's Write/WriteText, CreateTextFile().Write, File.WriteAll*, the raw body through ADODB.Stream or copied into a FileStream) and the page's data flow shows either that the request also names the file, or that the file is a script page (.asp, .aspx, ...) and what is written is a request value as it is: the dropper and uploader pages that plant the real shell. A guestbook that appends the form to its own text file, or an installer that splices form values into its own configuration page, is neither."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1105"
        verify = "request-to-file"
    strings:
        $w1 = /\.(Write|WriteLine|WriteText)\b/ nocase
        $w2 = /\bFile\s*\.\s*(WriteAll|AppendAll)/ nocase
        $w3 = /\.\s*CopyTo(Async)?\s*\(/ nocase
        // an upload's SaveAs writes and opens at once
        $w4 = /\.\s*SaveAs\s*[\s(]/ nocase
        $f1 = /CreateTextFile|OpenTextFile|StreamWriter|FileStream|ADODB\.Stream|\bFile\s*\.\s*(WriteAll|AppendAll|Create|Open)|\.\s*SaveAs\s*[\s(]/ nocase
        $in = /request\s*(\.\s*(item|form|querystring|params|cookies|headers|binaryread|inputstream|get)){0,2}\s*[\[(.]/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $app_inc = /<!--\s*#include\s+(file|virtual)\s*=/ nocase
    condition:
        filesize < 64KB and any of ($srv*) and any of ($w*) and $f1 and $in and not $app_inc
}

rule EXRAY_File_Writer_Request
{
    meta:
        title = "Web shell: page writes request data into a file"
        description = "A server page opens a file for writing (CreateTextFile, StreamWriter, ADODB.Stream, File.WriteAll*) and writes request data into it: the small \"uploader\" shells that plant a bigger shell."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1105"
    strings:
        $f1 = /CreateTextFile|OpenTextFile|StreamWriter|ADODB\.Stream|File(System)?\s*\.\s*(WriteAll|Create\s*\(|AppendAll)|FileStream\s*\(/ nocase
        $w_any = /\.write(line|alltext|allbytes)?\s*\(?[^)\r\n]{0,40}request(\.form|\.item|\.querystring)?\s*[\[(]/ nocase
        $w_resp = /response\.write\s*\(?[^)\r\n]{0,40}request(\.form|\.item|\.querystring)?\s*[\[(]/ nocase
        // the request written out encoded for a page (a guestbook kept in a text file)
        $w_enc = /\.write(line)?\s*\(?\s*server\s*\.\s*htmlencode\s*\([^)\r\n]{0,40}request/ nocase
        // (counted in both of the above)
        $w_resp_enc = /response\.write\s*\(?\s*server\s*\.\s*htmlencode\s*\([^)\r\n]{0,40}request/ nocase
        $w_ctor = /(StreamWriter|WriteAllText|WriteAllBytes|CreateTextFile)\s*\(\s*(server\.mappath\s*\(\s*)?request|OpenTextFile\s*\(\s*(server\.mappath\s*\(\s*)?request[^\r\n]{0,80},\s*[28]\s*[,)]/ nocase
        // path and content both from form text boxes (ASP.NET server controls)
        $w_box = /(StreamWriter|WriteAllText|WriteAllBytes|FileStream)\s*\(\s*(this\.)?[a-z_][a-z0-9_]{0,30}\.Text\s*[,)][^\r\n]{0,300}[\r\n][^\r\n]{0,200}\.Write(Line)?\s*\(\s*(this\.)?[a-z_][a-z0-9_]{0,30}\.Text\s*\)/ nocase
        // the same through a FileInfo on the path box: new FileInfo(T1.Text).CreateText(), then Write(T2.Text)
        $w_info = /FileInfo\s*\(\s*(this\.)?[a-z_][a-z0-9_]{0,30}\.Text\s*\)[^\r\n]{0,200}[\r\n][^\r\n]{0,200}\.(CreateText|AppendText|OpenWrite|Create)\s*\(\s*\)[^\r\n]{0,200}[\r\n][^\r\n]{0,200}\.Write(Line)?\s*\(\s*(this\.)?[a-z_][a-z0-9_]{0,30}\.Text\s*\)/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        // a page that includes its application's own files is part of that application (an admin
        // module behind the application's login); the kits this rule is for stand alone
        $app_inc = /<!--\s*#include\s+(file|virtual)\s*=/ nocase
    condition:
        filesize < 32KB and any of ($srv*) and ($f1 or $w_info) and (#w_any + #w_resp_enc > #w_resp + #w_enc or $w_ctor or $w_box or $w_info) and not $app_inc
}

rule EXRAY_Remote_Dropper
{
    meta:
        title = "Web shell: page downloads a file and saves it as a script"
        description = "A server page fetches content over HTTP (XMLHTTP, WinHttp, WebClient) and saves it under a script extension (.asp/.aspx/.ashx/...) or a request-chosen path: a dropper that plants the real web shell."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "high"
        attack = "T1505.003, T1105"
    strings:
        $h1 = "XMLHTTP" nocase
        $h2 = "WinHttp" nocase
        $h3 = "WebClient" nocase
        $h4 = "ServerXMLHTTP" nocase
        $save1 = /SaveToFile[\s(]{1,4}"[^"\r\n]{1,200}\.(asp|aspx|ashx|asmx|asa|cer|cdx|config)"/ nocase
        $save2 = /DownloadFile\s*\([^)\r\n]{0,200}(\.(asp|aspx|ashx|asmx)"|request)/ nocase
        $save3 = /SaveToFile[\s(]{1,4}(server\.mappath\s*\(\s*)?request/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($h*) and any of ($save*) and any of ($srv*)
}

rule EXRAY_NET_Raw_Socket_Sniffer
{
    meta:
        title = "Web shell: ASPX network sniffer (raw socket, promiscuous receive)"
        description = "A server page opens a raw IP socket and sets SIO_RCVALL / IOControlCode.ReceiveAll to capture traffic: a sniffing tool planted on the server."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "high"
        attack = "T1505.003, T1040"
    strings:
        $rawsock = "SocketType.Raw" nocase
        $r1 = "ReceiveAll" nocase
        $r2 = "IOControl" nocase
        $r3 = "SIO_RCVALL" nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        $rawsock and any of ($r*) and any of ($srv*)
}

rule EXRAY_File_Browser_Request
{
    meta:
        title = "Web shell: file browser with a request-chosen path"
        description = "A server page lists an arbitrary folder and reads or downloads files, with the folder or file taken from request parameters: the directory-and-file viewer of web-shell kits."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1083"
    strings:
        $list1 = /GetFolder\s*\(/ nocase
        $list2 = /\.SubFolders/ nocase
        $list3 = /Directory\s*\.\s*(GetFiles|GetDirectories|GetFileSystemEntries|GetParent)\s*\(/ nocase
        $list4 = /new\s+DirectoryInfo\s*\(/ nocase
        $list5 = /\.(GetFiles|GetDirectories)\s*\(/ nocase
        $read1 = /OpenTextFile\s*\([^)\r\n]{1,80},\s*1/ nocase
        $read2 = /\.ReadAll\b/ nocase
        $read3 = /TransmitFile|WriteFile\s*\(|BinaryWrite/ nocase
        $read4 = /File\s*\.\s*(ReadAll|OpenRead)/ nocase
        $reqpath = /(request(\.form|\.item|\.querystring|\.params)?\s*[\[(]\s*"(file|path|dir|directory|folder|fichero|f|p|d)"\s*[\])])/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        filesize < 64KB and any of ($srv*) and 2 of ($list*) and any of ($read*) and #reqpath >= 2
}

rule EXRAY_File_Writer_Variable_Path
{
    meta:
        title = "Web shell: small page writes a request-named file"
        description = "A small classic ASP page takes a file name or path and the content from the request and writes them with Scripting.FileSystemObject (CreateTextFile / OpenTextFile for writing): an arbitrary-file-write uploader that plants bigger shells. The page's data flow must show request data written into a file the request names or into a script page: a page that carries its site's file helpers unused writes nothing."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1105"
        verify = "request-to-file"
    strings:
        $fso = "FileSystemObject" nocase
        // created, or opened in a mode other than reading (not a loader's OpenTextFile(p) or
        // OpenTextFile(p, ForReading))
        $create = /CreateTextFile\s*\(\s*(server\.mappath\s*\(\s*)?[a-z_][a-z0-9_]{0,30}\s*[,)]/ nocase
        $open_mode = /OpenTextFile\s*\(\s*(server\.mappath\s*\(\s*)?[a-z_][a-z0-9_]{0,30}\s*\)?\s*,\s*[a-z0-9_]/ nocase
        $open_read = /OpenTextFile\s*\(\s*(server\.mappath\s*\(\s*)?[a-z_][a-z0-9_]{0,30}\s*\)?\s*,\s*(1|ForReading)\b/ nocase
        $assign = /\b[a-z_][a-z0-9_]{0,30}\s*=\s*(trim\s*\(\s*)?request(\.form|\.querystring|\.item)?\s*\(/ nocase
        // (one a developer commented out reads nothing)
        $assign_dead = /'[^\r\n'"]{0,120}\b[a-z_][a-z0-9_]{0,30}\s*=\s*(trim\s*\(\s*)?request(\.form|\.querystring|\.item)?\s*\(/ nocase
        // (in JScript a ' opens a literal, not a comment)
        $not_vbs = /language\s*=\s*["']?(jscript|javascript)\b/ nocase
        $write = /\.write(line)?[\s(]/ nocase
        $response_write = /response\s*\.\s*write[\s(]/ nocase
        // server code: a <% %> block or a <script runat="server"> block
        $asp = /<%|<script[^>]{0,100}runat\s*=\s*["']?server/ nocase
        // a page that includes its application's own files is part of that application (an admin
        // module behind the application's login); the kits this rule is for stand alone
        $app_inc = /<!--\s*#include\s+(file|virtual)\s*=/ nocase
    condition:
        filesize < 16KB and $asp and $fso and ($create or #open_mode > #open_read) and (#assign - #assign_dead >= 2 or ($not_vbs and #assign >= 2)) and
        #write > #response_write and not $app_inc
}

rule EXRAY_SQL_Console_Request
{
    meta:
        title = "Web shell: database console (caller-chosen connection and SQL)"
        description = "A server page connects to a database named by the caller (connection string from the request or a text box) and runs caller-supplied SQL: a database dump/administration tool planted on the server."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1213"
    strings:
        $conn1 = /(SqlConnection|OleDbConnection|OdbcConnection)\s*\(\s*(Request|[a-z_][a-z0-9_]{0,30}\.Text\b)/ nocase
        $conn2 = /ConnectionString\s*=\s*[^;\r\n]{0,80}(Request\s*[\[(.]|\.Text\b)/ nocase
        // a connection string (not a recordset's SELECT) ending in request data
        $conn3 = /\.Open\s*\(?\s*(request|"([^"\r\n]{0,200};)?\s*(provider|driver|dsn|data source|server|database|initial catalog|dbq|uid|user id|pwd|password)\s*=[^"\r\n]{0,200}"\s*&\s*request)/ nocase
        $conn4 = /(Data Source|Server|Provider)=\s*"\s*[&+]\s*(request|[a-z_][a-z0-9_]{0,30}\.Text\b)/ nocase
        $sql1 = /(SqlCommand|OleDbCommand|OdbcCommand)\s*\(\s*(Request|[a-z_][a-z0-9_]{0,30}\.Text\b)/ nocase
        $sql2 = /CommandText\s*=\s*(Request|[a-z_][a-z0-9_]{0,30}\.Text\b)/ nocase
        $sql3 = /\.Execute\s*\(?\s*request/ nocase
        $sql4 = /(sqlstr|sql)\s*=\s*(trim\s*\(\s*)?request/ nocase
        $sql5 = /(SqlCommand|OleDbCommand|OdbcCommand)\s*\(\s*[a-z_][a-z0-9_]{0,30}\.(SelectedItem|SelectedValue)/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and any of ($conn*) and any of ($sql*)
}

rule EXRAY_Writable_Folder_Probe
{
    meta:
        title = "Attacker tool: writable-folder scanner"
        description = "A server page walks folders and, in each, creates then deletes a probe file (or creates one and asks whether it can write to it) to find where it can write: the reconnaissance step before planting a shell or staging data."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1083"
    strings:
        $create = /(CreateTextFile|File\s*\.\s*Create|File\s*\.\s*WriteAllText|StreamWriter|CreateDirectory|CreateFolder)\s*\([^)\r\n]{0,100}\\\\?(test|temp|tmp)/ nocase
        $delete = /(DeleteFile|File\s*\.\s*Delete|DeleteFolder|Directory\s*\.\s*Delete)\s*\([^)\r\n]{0,100}\\\\?(test|temp|tmp)/ nocase
        // or the probe is the question itself: `File.Create(dir + "\\x").CanWrite`
        $probe = /File\s*\.\s*(Create|Open|OpenWrite)\s*\([^;\r\n]{0,160}\)\s*\.\s*CanWrite\b/ nocase
        $walk = /SubFolders|GetDirectories|GetFolder/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and $walk and (($create and $delete) or $probe)
}

rule EXRAY_File_Attribute_Tamper
{
    meta:
        title = "Web shell: page hides files or forges their timestamps"
        description = "A server page sets file attributes to hidden/system/read-only (attributes = 39 / 7 / request value) or rewrites modification dates through Shell.Application: hiding a web shell or timestomping it."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1070.006, T1564.001"
    strings:
        $attr1 = /\.attributes\s*=\s*(39|38|7|6|35|34|request|[a-z_][a-z0-9_]{0,30}\s*(\r|\n|:|%>))/ nocase
        $attr2 = /File\s*\.\s*SetAttributes\s*\(/ nocase
        $time1 = /\.ModifyDate\s*=/ nocase
        $time2 = /File\s*\.\s*Set(LastWriteTime|CreationTime)\s*\(/ nocase
        $req = /request(\.form|\.querystring|\.item)?\s*[\[(]/ nocase
        $path = /PATH_TRANSLATED|SCRIPT_NAME|GetFile\s*\(|Shell\.Application/ nocase
        $srv = "<%"
    condition:
        $srv and $req and $path and any of ($attr*, $time*)
}

rule EXRAY_SQL_Console_Request_Variables
{
    meta:
        title = "Web shell: database console (connection string and SQL read from the request into variables)"
        description = "A small server page reads two or more request parameters into variables, opens a database connection whose connection string is a variable (not a literal or the configuration) and runs a command whose text is a variable, without query parameters, and the page's data flow carries the request into both: the caller chooses both the database and the SQL. A database dump console (an upgrade page that connects where its form says and runs its own SQL is not one)."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1213"
        verify = "sql-console"
    strings:
        $assign = /\b[a-z_][a-z0-9_]{0,30}\s*=\s*(trim\s*\(\s*)?(context\.)?Request(\.QueryString|\.Form|\.Params|\.Item)?\s*[\[(]/ nocase
        // or from the page's text boxes: string server = txtServer.Text;
        $assign_box = /\b[a-z_][a-z0-9_]{0,30}\s*=\s*(this\.)?[a-z_][a-z0-9_]{0,30}\.Text\s*(\.Trim\s*\(\s*\)\s*)?;/ nocase
        $conn_net = /new\s+(System\.Data\.(SqlClient|OleDb|Odbc)\.)?(SqlConnection|OleDbConnection|OdbcConnection)\s*\(\s*[a-z_][a-z0-9_]{0,30}\s*\)/ nocase
        $cmd_net = /new\s+(System\.Data\.(SqlClient|OleDb|Odbc)\.)?(SqlCommand|OleDbCommand|OdbcCommand)\s*\(\s*[a-z_][a-z0-9_]{0,30}\s*,/ nocase
        $run_net = /\.(ExecuteReader|ExecuteNonQuery|ExecuteScalar|Fill)\s*\(/ nocase
        $conn_asp = /\.Open\s*\(?\s*[a-z_][a-z0-9_]{0,30}\s*\)?\s*[\r\n:]/ nocase
        $ado = "ADODB.Connection" nocase
        $cmd_asp = /\.Execute\s*\(\s*[a-z_][a-z0-9_]{0,30}\s*\)/ nocase
        $param = /Parameters\s*\.\s*(Add|AddWithValue)\s*\(/ nocase
        $config = /ConfigurationManager|ConnectionStrings\s*\[|AppSettings\s*\[/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        filesize < 16KB and any of ($srv*) and #assign + #assign_box >= 2 and not $param and not $config and
        (($conn_net and $cmd_net and $run_net) or ($ado and $conn_asp and $cmd_asp))
}
rule EXRAY_SQL_Console_Flow
{
    meta:
        title = "Web shell: database console (the caller names the database and writes the SQL)"
        description = "A server page opens a database connection and runs SQL, and the page's data flow carries request data, a text box or the view state into both the connection string and the SQL text, whatever the variables, session values and helper methods in between: the caller picks the server and runs any query. A database administration or dump console planted on the server (an upgrade page that connects where its form says and runs its own SQL is not one)."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1213"
        verify = "sql-console"
    strings:
        $c1 = /(Sql|OleDb|Odbc|MySql|Oracle)Connection\b/ nocase
        $c2 = "ADODB.Connection" nocase
        $c3 = "ADODB.Recordset" nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        // a page that includes its application's own files is that application's (an import
        // or admin module behind its login); the consoles this rule is for stand alone
        $app_inc = /<!--\s*#include\s+(file|virtual)\s*=/ nocase
    condition:
        filesize < 256KB and any of ($srv*) and any of ($c*) and not $app_inc
}

rule EXRAY_SQL_Query_From_Request
{
    meta:
        title = "Web shell: database console (the SQL run is what the caller typed)"
        description = "A small server page runs, on a database connection, SQL that is a request value as a whole (a query box, a form field, a text box), perhaps trimmed or copied through variables first; not request values spliced into the page's own statement. Whatever server the connection names, the caller runs any query there: a dump console planted with the database's credentials. An application's own pages run their own SQL; a page that includes its application's files is left to that application (an admin module)."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1213"
        verify = "request-to-sql"
    strings:
        $c1 = /(Sql|OleDb|Odbc|MySql|Oracle)(Connection|Command)\b/ nocase
        $c2 = "ADODB.Connection" nocase
        $c3 = "ADODB.Recordset" nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $app_inc = /<!--\s*#include\s+(file|virtual)\s*=/ nocase
        // the connection the application keeps in global.asa, in a page that edits the
        // application's records (the query carried in a hidden field of its own form): a
        // generated editor page; a console planted on the same connection edits no records
        $app_conn = /\.Open\s*\(?\s*Application\s*\(/ nocase
        $app_crud = /\.(UpdateBatch|AddNew)\b|type\s*=\s*["']?hidden[^<>]{0,120}value\s*=\s*["']?<%=\s*Request/ nocase
    condition:
        filesize < 64KB and any of ($srv*) and any of ($c*) and not $app_inc and
        not ($app_conn and $app_crud)
}

rule EXRAY_Upload_Unchecked_Name
{
    meta:
        title = "Web shell: uploader that keeps the sender's file name in a served folder, unchecked"
        description = "A small ASP.NET page whose job is an upload: it saves the posted file (SaveAs) under the name the client sent, in a folder of the web site (Server.MapPath), without looking at the name's extension or the content type. Whatever the caller sends, a second .aspx included, is then served and run. An application's upload handler checks what it accepts, or records the upload in its database."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1105"
    strings:
        $files = /Request\s*\.\s*Files|\.PostedFile\b|\.HasFile\b|<asp:FileUpload\b/ nocase
        $name = /\.FileName\b/ nocase
        $save = /\.SaveAs\s*\(/ nocase
        $map = /MapPath\s*\(/ nocase
        // a MapPath left in a C# line comment maps nothing
        $map_off = /(^|[ \t\r\n;{})])\/\/[^\r\n]{0,200}MapPath\s*\(/ nocase
        $check = /GetExtension|\.Extension\b|EndsWith|LastIndexOf\s*\(\s*["']\.|ContentType\s*(==|!=|\.(Equals|StartsWith|Contains))|"\.(jpe?g|png|gif|bmp|pdf|docx?|xlsx?|zip|txt)"|allowed|whitelist|blacklist|AllowedExt|ValidExt|\.Length\s*>|ContentLength\s*>/ nocase
        // the upload recorded in the application's database (an attachment of a record)
        $db = /OleDbConnection|SqlConnection|OdbcConnection|ExecuteNonQuery|ADODB\.Connection/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        filesize < 8KB and any of ($srv*) and $files and $name and $save and #map > #map_off and not $check and not $db
}

rule EXRAY_Upload_Beside_Page
{
    meta:
        title = "Web shell: upload kept under the sender's file name in the page's own folder"
        description = "A small server page (ASP.NET, or classic ASP with an upload parser) saves an uploaded file (SaveAs, SaveToFile or a FileStream) under the name the client sent, in the folder the page itself runs from or the application's root (Request.PhysicalPath, MapPath(\".\"), AppDomain.CurrentDomain.BaseDirectory): whatever the caller uploads, a second .aspx included, is served and run there."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1105"
    strings:
        $here = /Request\s*\.\s*PhysicalPath|MapPath\s*\(\s*"\.\/?"\s*\)|AppDomain\s*\.\s*CurrentDomain\s*\.\s*BaseDirectory|HttpRuntime\s*\.\s*AppDomainAppPath/ nocase
        // (classic ASP has no Request.Files: its upload parsers read a multipart form)
        $files = /Request\s*\.\s*Files|\.PostedFile\b|\.HasFile\b|<asp:FileUpload\b|multipart\/form-data/ nocase
        $name = /\.FileName\b/ nocase
        // or the raw request body, whatever its name
        $body = /Request\s*\.\s*(InputStream|BinaryRead\s*\(|GetBufferlessInputStream)/ nocase
        $save = /\.SaveAs\s*\(|\.(SaveAs|SaveToFile)\s+[a-z_]|new\s+(System\.IO\.)?FileStream\s*\(/ nocase
        // an upload checked against a list of image extensions (a forum's screenshot page) keeps
        // out the page a shell uploader is there to plant
        $ext = /GetExtension\s*\(|Right\s*\([^,\r\n]{1,80},\s*[345]\s*\)|\.EndsWith\s*\(/ nocase
        $img = /"\.?(jpg|jpeg|png|gif|bmp)"/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        filesize < 16KB and any of ($srv*) and $here and (($files and $name) or $body) and $save and
        not ($ext and #img >= 2)
}
rule EXRAY_ASP_Raw_Upload_Path_Form
{
    meta:
        title = "Web shell: classic ASP uploader writing to a path typed into the form"
        description = "A classic ASP page parses the raw multipart request body itself (Request.BinaryRead, filename=) and writes the file with FileSystemObject or ADODB.Stream, and its form offers a target-path field prefilled with a drive (value=\"C:\\\"): an uploader that places a file anywhere on the server."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1105"
    strings:
        $bin = /Request\s*\.\s*BinaryRead/ nocase
        $multipart = "filename=" nocase
        $write = /\.CreateTextFile|\.SaveToFile/ nocase
        $drive = /<input[^>]{0,160}value\s*=\s*["']?[a-z]:\\/ nocase
        // server code: a <% %> block or a <script runat="server"> block
        $asp = /<%|<script[^>]{0,100}runat\s*=\s*["']?server/ nocase
    condition:
        filesize < 64KB and $asp and $bin and $multipart and $write and $drive
}
rule EXRAY_Upload_Request_Named
{
    meta:
        title = "Web shell: upload saved under a caller-chosen name or folder"
        description = "A small server page saves an uploaded file (SaveAs) to a path built from request parameters rather than from the upload itself: an uploader that lets the attacker place a file anywhere, typically a second shell."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1505.003, T1105"
    strings:
        // (the request itself, not an upload component's object that is called `uprequest`)
        $save = /\.SaveAs\s*\(([^;\r\n]{0,120}[^a-z0-9_])?request(\s*\.\s*(item|form|querystring|params|headers|cookies|get)){0,3}\s*[\[(]/ nocase
        // or into a folder typed into a text box: up.SaveAs(folderBox.Text + "\\" + name)
        $save_box = /\.SaveAs\s*\(\s*(this\.)?[a-z_][a-z0-9_]{0,30}\.Text\s*\+/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        filesize < 16KB and any of ($srv*) and ($save or $save_box)
}

rule EXRAY_Upload_Saved_As_Script
{
    meta:
        title = "Web shell: upload saved as a script page"
        description = "A server page saves an uploaded file (SaveAs of Request.Files, a FileUpload or an upload component's file) under a name that ends in a script extension IIS runs (.aspx, .asp, .ashx, .asmx, web.config, ...; also with a trailing dot, an ::$DATA stream or IIS 6's x.asp;.jpg): whatever the caller sends becomes a page of the site. An application stores uploads as data (images, documents) or under the upload's own checked name."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "high"
        attack = "T1505.003, T1105"
    strings:
        // (the name's literal ends the path: one call of a path mapping may stand around it; a
        // trailing dot, an `::$DATA` stream or IIS 6's `x.asp;.jpg` still make a script;
        // certificates and settings files are uploaded as data, web.config is not)
        $save_script = /\.SaveAs(\s*\(|\s+)([^;\r\n()]{0,80}\(\s*)?[^;\r\n()]{0,120}(\.(aspx|asp|ashx|asmx|asa|asax|ascx|cdx|cshtml|vbhtml|soap|svc|shtml)|web\.config)(::\$DATA|\.+|;[^"'\r\n]{0,30})?["']\s*\)/ nocase
        $up = /Request\s*\.\s*Files|PostedFile|FileUpload|\.HasFile|Upload/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
        $srv3 = "IHttpHandler" nocase
        $srv_razor = /(\n|^)[ \t]*@(\{|\(|using[ \t]+System|functions[ \t]*\{|inherits[ \t]|Code\b|Imports[ \t]|if[ \t]*\(|foreach[ \t]*\()/
    condition:
        any of ($srv*) and $save_script and $up
}

rule EXRAY_Config_Copied_To_Served_File
{
    meta:
        title = "Web shell: page copies web.config to a file the web server hands out"
        description = "A server page copies web.config (connection strings, machine keys) to a name IIS serves as static content (.txt, .jpg, .css, .js, .htm, ...): a one-click credential exfiltration page. Backups to .bak or .config are not served and do not match."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "medium"
        attack = "T1552.001, T1505.003"
    strings:
        $copy = /File\s*\.\s*Copy\s*\(/ nocase
        $cfg = /MapPath\s*\(\s*"[^"\r\n]{0,80}web\.config"/ nocase
        $served = /MapPath\s*\(\s*"[^"\r\n]{1,120}\.(txt|jpg|jpeg|gif|png|css|js|htm|html|xml|ico)"/ nocase
        // folders IIS never serves
        $private = /MapPath\s*\(\s*"[~\/]{0,2}(App_Data|App_Code|bin)\/[^"\r\n]{1,120}\.(txt|jpg|jpeg|gif|png|css|js|htm|html|xml|ico)"/ nocase
        $srv1 = "<%"
        $srv2 = "runat" nocase
    condition:
        any of ($srv*) and #served > #private
        and for any i in (1..#copy) : ($cfg in (@copy[i] - 400 .. @copy[i] + 400))
        and for any i in (1..#copy) : ($served in (@copy[i] - 400 .. @copy[i] + 400))
}

rule EXRAY_Image_Polyglot_Server_Code
{
    meta:
        title = "Web shell: image file carrying server page code"
        description = "A file that starts as a JPEG, GIF or PNG image and also holds ASP/ASP.NET page code (a <%@ Page/WebHandler directive, <% … %> blocks or <script runat=\"server\">): a shell made to pass an upload filter that checks the first bytes, saved or renamed as a page. Images do not carry page directives."
        family = "generic"
        stage = "foothold"
        severity = "high"
        confidence = "high"
        attack = "T1505.003, T1036.008"
    strings:
        $dir = /<%\s*@\s*(Page|WebHandler|WebService|Language|Import|Assembly)\b/ nocase
        $runat = /<script[^>\r\n]{0,80}runat\s*=\s*["']?server/ nocase
        $code = /<%[=\s]{0,4}(eval|execute)\b/ nocase
    condition:
        (uint16(0) == 0xD8FF or uint32(0) == 0x38464947 or uint32(0) == 0x474E5089) and
        ($dir or $runat or $code)
}
