@echo off
rem The privileged writer of EMT Media Builder, as UAC starts it: the app's own runtime in plain
rem Node mode running the bundled writer. UAC does not pass the environment, so it is set here.
set ELECTRON_RUN_AS_NODE=1
"%~dp0..\..\EMT Media Builder.exe" "%~dp0..\app.asar\dist\main\writer.cjs" %*
