@echo off
rem The one launcher of the distribution for Windows, the twin of bin/launcher: the archive holds
rem it under each program's name (bin\train-mnist.bat, ...), and it runs the program its file is
rem named after, on the jars of ..\lib. Java 17 or later from JAVA_HOME, else java on PATH;
rem JAVA_OPTS go to the JVM. score-images.bat runs spark-submit (SPARK_HOME\bin, else PATH) with
rem SPARK_SUBMIT_ARGS. cmd.exe cannot replace itself by the JVM: Ctrl-C reaches the JVM through
rem the console, and the JVM's exit code is this script's.
setlocal EnableExtensions DisableDelayedExpansion
set "PROGRAM=%~n0"
for %%I in ("%~dp0..") do set "DIST=%%~fI"

set "MAIN="
if /i "%PROGRAM%"=="train-mnist" set "MAIN=dev.tfmnist.cli.TrainMnist"
if /i "%PROGRAM%"=="predict-mnist" set "MAIN=dev.tfmnist.cli.PredictMnist"
if /i "%PROGRAM%"=="serve-mnist" set "MAIN=dev.tfmnist.cli.ServeMnist"
if /i "%PROGRAM%"=="tensorflow_model_server" set "MAIN=dev.tfmnist.cli.TensorFlowModelServer"
if /i "%PROGRAM%"=="score-images" set "MAIN=dev.tfmnist.spark.ScoreImages"
if defined MAIN goto find_java
echo %PROGRAM%: no program of this distribution is called '%PROGRAM%' (see %DIST%\README.md) 1>&2
exit /b 1

:find_java
if not defined JAVA_HOME goto java_on_path
set "JAVA=%JAVA_HOME%\bin\java.exe"
if exist "%JAVA%" goto check_java
echo %PROGRAM%: JAVA_HOME is '%JAVA_HOME%', which has no bin\java.exe: point it at Java 17 or later, or unset it to use java on PATH 1>&2
exit /b 1
:java_on_path
set "JAVA="
for %%J in (java.exe) do set "JAVA=%%~$PATH:J"
if defined JAVA goto check_java
echo %PROGRAM%: no java on PATH and JAVA_HOME is not set: install Java 17 or later 1>&2
exit /b 1

:check_java
rem `java -fullversion` prints e.g. 'openjdk full version "17.0.15+6"' or '... "1.8.0_402-b08"'.
set "JAVA_VERSION="
for /f tokens^=2^ delims^=^" %%V in ('"%JAVA%" -fullversion 2^>^&1') do set "JAVA_VERSION=%%V"
set "MAJOR="
for /f "tokens=1,2 delims=.-+_" %%A in ("%JAVA_VERSION%") do (
  if "%%A"=="1" (set "MAJOR=%%B") else (set "MAJOR=%%A")
)
if not defined MAJOR goto no_version
set /a MAJOR_NUMBER=%MAJOR% 2>nul
if not "%MAJOR_NUMBER%"=="%MAJOR%" goto no_version
if %MAJOR_NUMBER% GEQ 17 goto run
echo %PROGRAM%: %JAVA% is Java %JAVA_VERSION%; these programs need Java 17 or later (set JAVA_HOME) 1>&2
exit /b 1
:no_version
echo %PROGRAM%: %JAVA% does not run or does not say its version: install Java 17 or later 1>&2
exit /b 1

:run
if /i "%PROGRAM%"=="score-images" goto score_images
"%JAVA%" -Djava.awt.headless=true %JAVA_OPTS% -cp "%DIST%\lib\*;%DIST%\lib\natives\*" %MAIN% %*
exit /b %ERRORLEVEL%

:score_images
rem Spark is the user's; the application jar is tf-java-mnist-spark, --jars the jars listed in
rem lib\score-images.classpath and this platform's natives (not copied a second time).
if not defined SPARK_HOME goto submit_on_path
set "SUBMIT=%SPARK_HOME%\bin\spark-submit.cmd"
if exist "%SUBMIT%" goto find_jars
echo %PROGRAM%: SPARK_HOME is '%SPARK_HOME%', which has no bin\spark-submit.cmd: point it at Apache Spark 4 (Scala 2.13) 1>&2
exit /b 1
:submit_on_path
set "SUBMIT="
for %%S in (spark-submit.cmd) do set "SUBMIT=%%~$PATH:S"
if defined SUBMIT goto find_jars
echo %PROGRAM%: no spark-submit on PATH and SPARK_HOME is not set: install Apache Spark 4 (Scala 2.13) 1>&2
exit /b 1

:find_jars
set "APPLICATION="
for %%J in ("%DIST%\lib\tf-java-mnist-spark-*.jar") do set "APPLICATION=%%~fJ"
if not defined APPLICATION goto incomplete
if not exist "%DIST%\lib\score-images.classpath" goto incomplete
set "LISTED="
set /p LISTED=<"%DIST%\lib\score-images.classpath"
set "JARS="
for %%J in (%LISTED%) do call :add_jar "%DIST%\%%~J"
for %%J in ("%DIST%\lib\natives\*.jar") do call :add_jar "%%~fJ"
if not defined TF_CPP_MIN_LOG_LEVEL set "TF_CPP_MIN_LOG_LEVEL=2"
if not defined JAVA_OPTS goto submit
call "%SUBMIT%" --driver-java-options "%JAVA_OPTS%" %SPARK_SUBMIT_ARGS% --class %MAIN% --jars "%JARS%" "%APPLICATION%" %*
exit /b %ERRORLEVEL%
:submit
call "%SUBMIT%" %SPARK_SUBMIT_ARGS% --class %MAIN% --jars "%JARS%" "%APPLICATION%" %*
exit /b %ERRORLEVEL%

:incomplete
echo %PROGRAM%: %DIST%\lib lacks tf-java-mnist-spark's jar or score-images.classpath: an incomplete distribution, unpack it again 1>&2
exit /b 1

:add_jar
set "JAR=%~1"
set "JAR=%JAR:/=\%"
if defined JARS set "JARS=%JARS%,%JAR%"
if not defined JARS set "JARS=%JAR%"
exit /b 0
