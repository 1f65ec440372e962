// The preload of the sandboxed main window, bundled to CommonJS (sandboxed preloads cannot load ES
// modules). It exposes `window.emt`, built from the contract, and nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import { contract, events } from '../app/contract/api';
import { buildApi } from './preload-api';

contextBridge.exposeInMainWorld('emt', buildApi(contract, events, ipcRenderer));
