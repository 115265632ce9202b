// Imported first by every entry script: stop at once, with the version we
// need, instead of failing later with an obscure syntax or API error.
const REQUIRED_MAJOR = 22;
const major = Number(process.versions.node.split('.')[0]);
if (major < REQUIRED_MAJOR) {
  console.error(
    `Switchboard needs Node.js ${REQUIRED_MAJOR} or newer (it is developed on Node 24, see .nvmrc); ` +
      `this is Node ${process.versions.node}. Install a newer Node (e.g. \`nvm install\`) and run again.`,
  );
  process.exit(1);
}
