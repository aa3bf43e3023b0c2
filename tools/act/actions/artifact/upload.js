// Stand-in for actions/upload-artifact@v4 under act: the inputs this project's workflow uses
// (name, path, if-no-files-found, retention-days), uploaded to act's artifact server through
// the same client library the real action uses.
const path = require("node:path");
const core = require("@actions/core");
const glob = require("@actions/glob");
const { DefaultArtifactClient } = require("@actions/artifact");

async function main() {
  const name = core.getInput("name") || "artifact";
  const patterns = core.getInput("path", { required: true });
  const ifNone = core.getInput("if-no-files-found") || "warn";
  const globber = await glob.create(patterns, { matchDirectories: false });
  const files = await globber.glob();
  if (files.length === 0) {
    const message = `No files were found with the provided path: ${patterns}. No artifacts will be uploaded.`;
    if (ifNone === "error") return core.setFailed(message);
    if (ifNone === "warn") core.warning(message);
    return;
  }
  // The real action's root: the longest common directory of the search paths.
  const roots = globber.getSearchPaths();
  let root = roots[0];
  while (!roots.every((r) => r === root || r.startsWith(root + path.sep))) root = path.dirname(root);
  const retention = parseInt(core.getInput("retention-days") || "0", 10) || undefined;
  const client = new DefaultArtifactClient();
  const { id, size } = await client.uploadArtifact(name, files, root, { retentionDays: retention });
  core.info(`Artifact ${name} (id ${id}): ${files.length} files, ${size} bytes`);
  core.setOutput("artifact-id", String(id));
}

main().catch((error) => core.setFailed(error.message));
