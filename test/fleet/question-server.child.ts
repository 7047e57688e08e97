// A fleet server of its own, for a test that kills it with SIGKILL while its agent's question waits:
//   vite-node question-server.child.ts <data dir> <repo> <bin> <home> <task>
// Prints "QUESTION <id>" once the question waits, then runs until killed; without a question it says so and exits 1.
import { createFleet } from '../../src/fleet/fleet.js';
import { resolveRoles } from '../../src/fleet/roles.js';

const [dataDir, repo, bin, home, task] = process.argv.slice(2) as [string, string, string, string, string];
const fleet = await createFleet({
  dataDir,
  projects: [{ name: 'repo', path: repo, description: 'a git repository' }],
  roles: resolveRoles({ claude: { sandbox: false } }, { pathEnv: bin }),
  maxBusy: 1,
  baseEnv: { ...process.env, HOME: home, PATH: `${bin}:${process.env.PATH}` },
  sandbox: { presetsByDefault: false },
});
await fleet.createAgent({ name: 'asker', project: 'repo', role: 'claude', task });
const { agent } = await fleet.waitForAgent('asker', 60_000);
if (!agent.question) {
  console.log(`NO QUESTION: ${JSON.stringify(agent.last_task)}`);
  await fleet.shutdown();
  process.exit(1);
}
console.log(`QUESTION ${agent.question.id}`);
setInterval(() => {}, 60_000);
