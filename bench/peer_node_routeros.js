// Benchmark client for bench/peers.sh: npm node-routeros, used as its documentation shows.
//
// usage: node peer_node_routeros.js print|add-remove HOST PORT USER PASSWORD COUNT
//
// Output as peer_librouteros.py. node-routeros 1.6.9 does not know RouterOS 7.18's `!empty`
// reply (see crates/routeros-sim/interop/run.sh); no command here gets one.
'use strict';

const fs = require('fs');
const { RouterOSAPI } = require('node-routeros');

// [VmRSS, VmHWM] of this process in KiB.
function rssKib() {
    let status = '';
    try {
        status = fs.readFileSync('/proc/self/status', 'utf8');
    } catch (e) {
        return [0, 0];
    }
    const field = (name) => {
        const m = status.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'));
        return m ? Number(m[1]) : 0;
    };
    return [field('VmRSS'), field('VmHWM')];
}

const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;

async function main() {
    const [mode, host, port, user, password, countText] = process.argv.slice(2);
    const count = Number(countText);
    const conn = new RouterOSAPI({ host, port: Number(port), user, password, timeout: 300, keepalive: false });
    await conn.connect();
    const [baseline] = rssKib();
    if (mode === 'print') {
        for (let i = 0; i < count; i++) {
            const start = process.hrtime.bigint();
            const rows = await conn.write('/ppp/secret/print');
            console.log(`print ${ms(start).toFixed(3)} ${rows.length}`);
        }
    } else if (mode === 'add-remove') {
        const start = process.hrtime.bigint();
        for (let i = 0; i < count; i++) {
            const added = await conn.write('/ppp/secret/add', [
                `=name=bench-node-routeros-${i}`, '=password=Bench-Pass-1', '=service=pppoe', '=profile=Basic',
            ]);
            await conn.write('/ppp/secret/remove', [`=.id=${added[0].ret}`]);
        }
        console.log(`addrm ${ms(start).toFixed(3)} ${count}`);
    } else {
        console.error('usage: node peer_node_routeros.js print|add-remove HOST PORT USER PASSWORD COUNT');
        process.exit(2);
    }
    await conn.close();
    console.log(`rss ${baseline} ${rssKib()[1]}`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
