# azd postbuild hook on Windows: the same staging as stage-function-package.sh.
$ErrorActionPreference = 'Stop'
$out = 'build/azure-functions'
if (-not (Test-Path 'dist/app/main.js')) {
  throw "stage-function-package: dist/app/main.js is missing; run 'npm run build' first"
}
if (Test-Path $out) { Remove-Item -Recurse -Force $out }
New-Item -ItemType Directory -Force -Path "$out/dist" | Out-Null
Copy-Item 'host.json' "$out/host.json"
Copy-Item -Recurse 'dist/app' "$out/dist/app"
foreach ($dir in @('templates', 'data', 'policies')) {
  if (Test-Path $dir) { Copy-Item -Recurse $dir "$out/$dir" }
}
# A slim package.json: main = the bundle, no dependencies or scripts.
$pkg = Get-Content 'package.json' -Raw | ConvertFrom-Json
[ordered]@{ name = $pkg.name; version = $pkg.version; private = $true; type = $pkg.type; main = $pkg.main } |
  ConvertTo-Json | Set-Content -Encoding utf8 "$out/package.json"
Write-Host "stage-function-package: $out ready (main $($pkg.main))"
