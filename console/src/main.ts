import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import router from './router'
import { setUnauthorizedHandler } from './api/client'
import { useAuth } from './stores/auth'
// ElMessage / ElMessageBox are imported by name in views (not through the auto-import resolver): their styles
import 'element-plus/theme-chalk/el-message.css'
import 'element-plus/theme-chalk/el-message-box.css'
import 'element-plus/theme-chalk/el-overlay.css'
import './styles.css'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia).use(router)

// a 401 anywhere drops the token and goes back to the login page
setUnauthorizedHandler(() => {
  const auth = useAuth(pinia)
  if (!auth.token) return
  auth.expire()
  const here = router.currentRoute.value
  if (here.name !== 'login') router.push({ name: 'login', query: { redirect: here.fullPath, expired: '1' } })
})
app.mount('#app')
