// Rally's local-network glue on Android (see the crate's src/lib.rs).

package org.rally.lan

import android.app.Activity
import android.content.Context
import android.net.wifi.WifiManager
import android.os.Build
import androidx.appcompat.app.AppCompatActivity
import app.tauri.PermissionState
import app.tauri.annotation.Command
import app.tauri.annotation.Permission
import app.tauri.annotation.PermissionCallback
import app.tauri.annotation.TauriPlugin
import app.tauri.plugin.Invoke
import app.tauri.plugin.Plugin

/** Android 17 (API 37) makes local-network traffic a runtime permission. */
private const val LOCAL_NETWORK = "android.permission.ACCESS_LOCAL_NETWORK"
private const val LOCAL_NETWORK_SINCE = 37

@TauriPlugin(permissions = [Permission(strings = [LOCAL_NETWORK], alias = "localNetwork")])
class LanPlugin(private val activity: Activity) : Plugin(activity) {
    private var lock: WifiManager.MulticastLock? = null

    /** Sync is running (the Rust side says so); the lock follows the app's visibility. */
    private var syncing = false

    @Command
    fun acquire(invoke: Invoke) {
        syncing = true
        hold()
        if (Build.VERSION.SDK_INT >= LOCAL_NETWORK_SINCE &&
            getPermissionState("localNetwork") != PermissionState.GRANTED
        ) {
            requestPermissionForAlias("localNetwork", invoke, "localNetworkAnswered")
        } else {
            invoke.resolve()
        }
    }

    /** Refused or not, sync goes on: the server and QR-paired peers still work. */
    @PermissionCallback
    private fun localNetworkAnswered(invoke: Invoke) {
        invoke.resolve()
    }

    @Command
    fun release(invoke: Invoke) {
        syncing = false
        drop()
        invoke.resolve()
    }

    override fun onPause(activity: AppCompatActivity) {
        drop()
    }

    override fun onResume(activity: AppCompatActivity) {
        if (syncing) hold()
    }

    private fun hold() {
        if (lock?.isHeld == true) return
        val wifi = activity.applicationContext.getSystemService(Context.WIFI_SERVICE) as WifiManager
        lock = wifi.createMulticastLock("rally-sync").apply {
            setReferenceCounted(false)
            acquire()
        }
    }

    private fun drop() {
        lock?.let { if (it.isHeld) it.release() }
        lock = null
    }
}
