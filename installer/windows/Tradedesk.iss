; Inno Setup 6 script: Tradedesk-Setup-<version>.exe, a per-user installer (no admin rights).
;
; installer/build.py --package runs it as:
;   ISCC.exe /DAppVersion=0.1.0 /DAppVersionNumeric=0.1.0.0 /DSourceDir=<dist\Tradedesk>
;            /DOutputDir=<dist\installers> /DIconFile=<resources\icons\tradedesk.ico>
;            installer\windows\Tradedesk.iss
; Install Inno Setup with `choco install innosetup` (the CI workflow does).
;
; The uninstaller removes the program and its shortcuts. The user's data (journal, settings,
; layout in %LOCALAPPDATA%\Tradedesk, the folder platformdirs gives Tradedesk) is kept unless
; the user says Yes when asked; a silent uninstall always keeps it. API keys live in the
; Windows Credential Locker and are never touched by the uninstaller.

#ifndef AppVersion
  #error Define AppVersion, e.g. ISCC /DAppVersion=0.1.0 (installer/build.py does)
#endif
#ifndef AppVersionNumeric
  #error Define AppVersionNumeric (four numbers, e.g. 0.1.0.0)
#endif
#ifndef SourceDir
  #error Define SourceDir: the PyInstaller one-folder bundle (dist\Tradedesk)
#endif
#ifndef OutputDir
  #define OutputDir "."
#endif
#ifndef IconFile
  #error Define IconFile: resources\icons\tradedesk.ico
#endif

#define AppName "Tradedesk"
#define AppExe "Tradedesk.exe"

[Setup]
; the AppId ties upgrades and the uninstaller together: never change it
AppId={{6BE71DA4-6A8F-4FDB-B6C0-853BF785CD4D}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
VersionInfoVersion={#AppVersionNumeric}
VersionInfoProductName={#AppName}
; per user: installs into %LOCALAPPDATA%\Programs\Tradedesk, Start menu of this user only
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
OutputDir={#OutputDir}
OutputBaseFilename=Tradedesk-Setup-{#AppVersion}
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; a running Tradedesk holds its files open: ask to close it before replacing them
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; an upgrade replaces the whole bundle: files a newer version dropped must not linger
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
function UserDataDir(): String;
begin
  { the same folder as platformdirs.user_data_dir("Tradedesk", appauthor=False) }
  Result := ExpandConstant('{localappdata}\{#AppName}');
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep <> usPostUninstall then
    exit;
  DataDir := UserDataDir();
  if UninstallSilent() or not DirExists(DataDir) then
    exit;  { keep the data: nobody was asked }
  if MsgBox('Also delete your Tradedesk data?' + #13#10#13#10 + DataDir + #13#10#13#10 +
            'It holds your order journal, trade history, settings and window layout. ' +
            'Choose No to keep it for a later install.',
            mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
    DelTree(DataDir, True, True, True);
end;
