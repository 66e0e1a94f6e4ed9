// Preloaded into a gateway process (`node --import`): as the process exits, it writes the list
// of modules Node loaded (process.moduleLoadList: "NativeModule http", "NativeModule
// internal/deps/undici/undici"…) to the file named by LOADED_MODULES_FILE, one per line.
import { writeFileSync } from 'node:fs';

const file = process.env.LOADED_MODULES_FILE;
if (file !== undefined && file !== '') {
  process.on('exit', () => {
    const list = (process as unknown as { moduleLoadList: readonly string[] }).moduleLoadList;
    writeFileSync(file, list.join('\n'));
  });
}
