// Stand-in for actions/download-artifact@v4 under act: by name, or every artifact of this run
// whose name matches `pattern`, into `path` (each in a folder of its name unless
// merge-multiple), through the same client library the real action uses.
const path = require("node:path");
const core = require("@actions/core");
const { minimatch } = require("minimatch");
const { DefaultArtifactClient } = require("@actions/artifact");

async function main() {
  const name = core.getInput("name");
  const pattern = core.getInput("pattern");
  const target = path.resolve(core.getInput("path") || ".");
  const merge = core.getBooleanInput("merge-multiple");
  const client = new DefaultArtifactClient();
  const { artifacts } = await client.listArtifacts({ latest: true });
  const chosen = artifacts.filter((a) => (name ? a.name === name : !pattern || minimatch(a.name, pattern)));
  if (name && chosen.length === 0) return core.setFailed(`Artifact not found for name: ${name}`);
  for (const artifact of chosen) {
    const into = name || merge ? target : path.join(target, artifact.name);
    await client.downloadArtifact(artifact.id, { path: into });
    core.info(`Artifact ${artifact.name} (id ${artifact.id}) downloaded into ${into}`);
  }
  core.info(`${chosen.length} artifact(s) downloaded`);
  core.setOutput("download-path", target);
}

main().catch((error) => core.setFailed(error.message));
