// howto.js - the "how to check the whole log" page: fills in this log's
// origin and verifier key so the commands can be copied as they are.
import { initPage } from './common.js';
import { getJSON } from './api.js';
import { fmtNumber } from './i18n.js';

async function main() {
  await initPage('verify.doc');
  try {
    const info = await getJSON('/api/v1/log/info');
    document.getElementById('log-origin').textContent = info.origin;
    document.getElementById('log-vkey').textContent = info.vkey;
    document.getElementById('log-size').textContent = fmtNumber(info.size);
    const site = location.origin;
    document.getElementById('cmd-monitor').textContent =
      `belfry monitor --vkey '${info.vkey}' --state ~/.belfry-monitor.json ${site}/log`;
    document.getElementById('cmd-verify').textContent =
      `curl -o release.tlog-proof ${site}/log/proof/INDEX\ncurl -o entry ${site}/api/v1/log/entries/INDEX\nbelfry verify --vkey '${info.vkey}' --entry entry release.tlog-proof`;
  } catch (e) {
    document.getElementById('log-origin').textContent = e.message;
  }
}

main();
