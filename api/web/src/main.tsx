import { render } from 'preact';
import './styles.css';
import { App } from './app.tsx';
import { readSettings } from './settings.ts';

const root = document.getElementById('app')!;
root.textContent = ''; // the "Vigil…" shown while the script loads
render(<App settings={readSettings(document)} />, root);
