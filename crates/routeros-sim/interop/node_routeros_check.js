// Interop check: the unchanged npm client `node-routeros` against routeros-sim.
//
// usage: node node_routeros_check.js HOST PORT LEGACY_PORT USER PASSWORD
// PORT must serve RouterOS before 7.18 (`routeros-sim --no-empty`): node-routeros 1.6.9
// throws RosException UNKNOWNREPLY ("Tried to process unknown reply: !empty") from an event
// handler on the `!empty` reply of RouterOS 7.18+, which kills the process: the same failure
// its users see against real 7.18 routers.
// LEGACY_PORT emulates RouterOS < 6.43 (MD5 challenge login).
'use strict';

const { RouterOSAPI } = require('node-routeros');

const NAME = 'interop-node-routeros';

function check(what, condition, detail) {
    console.log(`  ${condition ? 'ok ' : 'BAD'} ${what}${!condition && detail !== undefined ? ': ' + JSON.stringify(detail) : ''}`);
    if (!condition) {
        process.exit(1);
    }
}

async function main() {
    const [host, port, legacyPort, user, password] = process.argv.slice(2);
    const conn = new RouterOSAPI({ host, port: Number(port), user, password, timeout: 15, keepalive: false });
    await conn.connect();
    check('log in (plain)', true);

    const profiles = await conn.write('/ppp/profile/print');
    const premium = profiles.find((p) => p.name === 'Premium');
    check('list profiles', premium && premium['rate-limit'] === '25M/50M', profiles);

    const added = await conn.write('/ppp/secret/add', [
        `=name=${NAME}`, '=password=Rahasia123', '=service=pppoe', '=profile=Basic', '=comment=Interop Test',
    ]);
    const id = added[0] && added[0].ret;
    check('add a secret', typeof id === 'string' && id.startsWith('*'), added);

    await conn.write('/ppp/secret/set', [`=.id=${id}`, '=profile=Premium']);
    const rows = await conn.write('/ppp/secret/print', [`?name=${NAME}`]);
    check('set its profile, print it by query', rows.length === 1 && rows[0].profile === 'Premium' && rows[0]['.id'] === id, rows);

    const sessions = await conn.write('/ppp/active/print', ['?name=john123']);
    check('find the active session', sessions.length === 1, sessions);
    await conn.write('/ppp/active/remove', [`=.id=${sessions[0]['.id']}`]);
    const left = await conn.write('/ppp/active/print', ['?name=john123']);
    check('kick it (/ppp/active/remove)', left.length === 0, left);

    await conn.write('/ppp/secret/remove', [`=.id=${id}`]);
    const gone = await conn.write('/ppp/secret/print', [`?name=${NAME}`]);
    check('remove the secret', gone.length === 0, gone);

    let trapped = null;
    try {
        await conn.write('/ppp/secret/add', ['=name=jane456', '=password=Whatever123']);
    } catch (e) {
        trapped = e;
    }
    check('duplicate add is refused', trapped && /already exists/.test(trapped.message), trapped && trapped.message);
    await conn.close();

    const legacy = new RouterOSAPI({ host, port: Number(legacyPort), user, password, timeout: 15, keepalive: false });
    await legacy.connect();
    const identity = await legacy.write('/system/identity/print');
    check('log in (legacy MD5 challenge)', identity.length === 1 && !!identity[0].name, identity);
    await legacy.close();
}

main().then(
    () => process.exit(0),
    (e) => {
        console.log(`  BAD unexpected error: ${e && (e.stack || e.message || e)}`);
        process.exit(1);
    },
);
